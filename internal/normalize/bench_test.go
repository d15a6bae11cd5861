package normalize

import (
	"testing"
	"time"

	"github.com/yagura-soc/yagura/internal/event"
	"github.com/yagura-soc/yagura/internal/parse/auto"
	"github.com/yagura-soc/yagura/internal/parse/rfc3164"
)

// benchLines are typical records per format, as the intakes see them.
var benchLines = []struct{ format, line string }{
	{"rfc5424", `<165>1 2026-11-02T09:00:00.003Z web-01.corp.example sshd 2211 ID47 [meta@1 a="1" b="two"] Failed password for root from 203.0.113.7 port 51234 ssh2`},
	{"rfc3164", `<38>Nov  2 09:00:00 web-01 sshd[2211]: Failed password for invalid user admin from 203.0.113.7 port 51234 ssh2`},
	{"json", `{"@timestamp":"2026-11-02T09:00:00.123Z","level":"info","service":"checkout","host":{"name":"app-01.corp.example"},"source":{"ip":"10.1.2.3","port":51234},"http":{"request":{"method":"POST"},"response":{"status_code":200}},"url":{"path":"/api/v1/cart"},"user":{"name":"alice"},"message":"request served","duration_ms":12.5}`},
	{"kv", `date=2026-11-02 time=09:00:00 devname="FGT-01" devid="FGT60E" logid="0000000013" type="traffic" subtype="forward" level="notice" srcip=10.0.0.1 srcport=51000 srcintf="lan" dstip=8.8.8.8 dstport=53 dstintf="wan1" proto=17 action="accept" policyid=7 service="DNS" sentbyte=100 rcvdbyte=200`},
	{"accesslog", `203.0.113.7 - - [02/Nov/2026:09:00:00 +0900] "GET /search?q=shoes&page=2 HTTP/1.1" 200 5120 "https://shop.example/" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"`},
	{"auditd", `type=SYSCALL msg=audit(1604994496.155:92733): arch=c000003e syscall=59 success=yes exit=0 a0=558e251634a0 a1=558e25162a50 a2=558e25160800 a3=8 items=2 ppid=29002 pid=1631 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=104 comm="arp" exe="/usr/sbin/arp" key=(null)`},
	{"cef", `CEF:0|Palo Alto Networks|PAN-OS|10.1|TRAFFIC|end|3|rt=1707937494000 src=192.0.2.10 spt=51515 dst=198.51.100.7 dpt=443 proto=TCP act=allow suser=CORP\\alice cs1Label=Rule cs1=allow-web`},
	{"leef", "LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort=21\tusrName=joe.black"},
	{"suricata", `{"timestamp":"2019-01-02T03:50:11.315110+0000","flow_id":52710912,"in_iface":"eth0","event_type":"alert","src_ip":"8.42.77.171","src_port":49678,"dest_ip":"138.68.3.71","dest_port":22,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2001219,"rev":19,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":2}}`},
	{"zeek", `{"_path":"ssh","ts":"2018-03-24T17:16:39.739898Z","uid":"C2MugGdsn3ZVI1wn6","id.orig_h":"10.0.0.227","id.orig_p":59849,"id.resp_h":"10.47.8.50","id.resp_p":22,"version":2,"auth_success":true,"auth_attempts":1,"client":"SSH-2.0-OpenSSH_7.6"}`},
	{"cloudtrail", `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","userName":"alice"},"eventTime":"2026-11-02T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.0","requestParameters":{"bucketName":"b","key":"k"}}`},
}

// BenchmarkParseNormalize measures parse + normalize per format with the
// format named (as configured sources do) and auto-detected. Run with
// -cpu 1. lines/cpu-s (lines per second of CPU the process used, GC
// included) is the figure docs/performance.md quotes: wall-clock lines/s
// on a shared machine measures the neighbours as much as the parser.
func BenchmarkParseNormalize(b *testing.B) {
	n := Normalizer{Parsers: auto.Parsers{Syslog: rfc3164.Parser{Location: time.UTC, Now: testNow}}}
	for _, mode := range []string{"named", "auto"} {
		for _, c := range benchLines {
			data := []byte(c.line)
			format := c.format
			if mode == "auto" {
				format = ""
			}
			b.Run(mode+"/"+c.format, func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				cpu0, ok0 := processCPU()
				for b.Loop() {
					ev := event.Event{Ingested: ingest}
					n.Event(&ev, data, format)
					if ev.ParseError != "" {
						b.Fatal(ev.ParseError)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
				if cpu1, ok1 := processCPU(); ok0 && ok1 && cpu1 > cpu0 {
					b.ReportMetric(float64(b.N)/(cpu1-cpu0), "lines/cpu-s")
				}
			})
		}
	}
}
