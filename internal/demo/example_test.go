package demo_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/yagura-soc/yagura/internal/demo"
)

// A server drives the generator from a ticker; here simulated time stands
// in for the wall clock.
func ExampleGenerator() {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	g := demo.New(42, start, demo.WithRate(50))
	for now := start.Add(time.Second); now.Before(start.Add(40 * time.Second)); now = now.Add(time.Second) {
		for _, r := range g.Next(now) {
			if r.Story == demo.StorySSHBruteForce && strings.Contains(r.Line, "Accepted") {
				fmt.Println(r.Source, r.Line)
			}
		}
	}
	// Output:
	// syslog <38>Nov 23 09:00:25 web-01 sshd[3832]: Accepted password for mbaker from 192.0.2.119 port 53647 ssh2
}
