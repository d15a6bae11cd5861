package compliance

import (
	_ "embed"
	"html/template"
	"io"
)

//go:embed report.html
var reportHTML string

var reportTemplate = template.Must(template.New("report").Parse(reportHTML))

// WriteHTML renders the report as a self-contained HTML page (no scripts,
// no external resources) that an auditor can archive as it is.
func (r Report) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, r)
}
