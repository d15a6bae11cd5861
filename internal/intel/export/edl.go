package export

import (
	"fmt"
	"io"
	"strings"

	"github.com/yagura-soc/yagura/internal/intel"
)

// EDL writes an external dynamic list: one entry per line, nothing else
// (Palo Alto, Fortinet and Check Point parse every line as an entry, so
// no comments). kind is "ip" (addresses and networks), "domain" or "url";
// URLs are written without their scheme, the form PAN-OS URL lists take.
func EDL(w io.Writer, l List, kind string) error {
	bw := newWriter(w)
	switch kind {
	case "ip":
		for _, v6 := range []bool{false, true} {
			for _, p := range networks(l, v6) {
				bw.WriteString(prefixString(p))
				bw.WriteByte('\n')
			}
		}
	case "domain":
		for _, d := range values(l, intel.Domain) {
			bw.WriteString(d)
			bw.WriteByte('\n')
		}
	case "url":
		for _, u := range values(l, intel.URL) {
			if _, rest, ok := strings.Cut(u, "://"); ok {
				u = rest
			}
			bw.WriteString(u)
			bw.WriteByte('\n')
		}
	default:
		return fmt.Errorf("edl: unknown list kind %q (ip, domain or url)", kind)
	}
	return bw.Flush()
}
