package export

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// EDL writes an external dynamic list: one entry per line, nothing else
// (Palo Alto, Fortinet and Check Point parse every line as an entry, so
// no comments). kind is "ip" (addresses and networks), "domain" or "url";
// URLs are written without their scheme, the form PAN-OS URL lists take.
func EDL(w io.Writer, l List, kind string) error {
	bw := newWriter(w)
	bl := l.blocklist()
	switch kind {
	case "ip":
		var line []byte
		for _, ps := range [][]netip.Prefix{bl.V4, bl.V6} {
			for _, p := range ps {
				line = append(appendPrefix(line[:0], p), '\n')
				bw.Write(line)
			}
		}
	case "domain":
		for _, d := range bl.Domains {
			bw.WriteString(d)
			bw.WriteByte('\n')
		}
	case "url":
		for _, u := range bl.URLs {
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
