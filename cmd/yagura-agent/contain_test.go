package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// inNS runs a command inside a network namespace and returns its output.
func inNS(ns string, args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%v: %v: %s", args, err, out)
	}
	return string(out), nil
}

func runCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", args, err, out)
	}
}

// The containment test, end to end: a real server in one network
// namespace, an enrolled agent on a "host" namespace, another host in a
// third. A responder asks the server to isolate the host; the agent gets
// the signed command with its heartbeat and applies it: the host still
// reaches the server (heartbeats go on) and no longer the other host.
// Released, it reaches the other host again and its nftables ruleset is
// what it was before, byte for byte.
func TestIsolateAndReleaseThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the real server and agent")
	}
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("needs root on Linux (ip netns, nft)")
	}
	for _, tool := range []string{"ip", "nft", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	id := fmt.Sprintf("%d", os.Getpid()%100000)
	host, server, other := "ah"+id, "as"+id, "ao"+id
	for _, ns := range []string{host, server, other} {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Skipf("cannot create network namespaces here: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		runCmd(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	link := func(a, b, aIP, bIP, aIf, bIf string) {
		runCmd(t, "ip", "link", "add", aIf, "netns", a, "type", "veth", "peer", "name", bIf, "netns", b)
		runCmd(t, "ip", "-n", a, "addr", "add", aIP+"/24", "dev", aIf)
		runCmd(t, "ip", "-n", b, "addr", "add", bIP+"/24", "dev", bIf)
		runCmd(t, "ip", "-n", a, "link", "set", aIf, "up")
		runCmd(t, "ip", "-n", b, "link", "set", bIf, "up")
	}
	link(host, server, "10.78.1.1", "10.78.1.2", "hs"+id, "sh"+id)
	link(host, other, "10.78.2.1", "10.78.2.2", "ho"+id, "oh"+id)
	web := exec.Command("ip", "netns", "exec", other, "python3", "-m", "http.server", "8080", "--bind", "10.78.2.2")
	if err := web.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { web.Process.Kill(); web.Wait() })

	bins := t.TempDir()
	serverBin := build(t, bins, "yagura", "../yagura")
	agentBin := build(t, bins, "yagura-agent", ".", "CGO_ENABLED=0")
	dir := t.TempDir()
	data, state := filepath.Join(dir, "data"), filepath.Join(dir, "agent")
	enrollTok := token(t, serverBin, data, "enroll", "--ttl", "1h")
	responder := token(t, serverBin, data, "responder")
	api := "http://10.78.1.2:8080"
	start(t, "ip", "netns", "exec", server, serverBin, "serve", "--data", data, "--http", "10.78.1.2:8080", "--syslog", "off")

	// call runs curl in the server's namespace against its API.
	call := func(method, path, body string) (string, error) {
		args := []string{"curl", "-s", "--max-time", "10", "-X", method, "-H", "Authorization: Bearer " + responder, api + path}
		if body != "" {
			args = append(args, "-H", "Content-Type: application/json", "-d", body)
		}
		return inNS(server, args...)
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 90s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	eventually("server ready", func() bool {
		_, err := inNS(server, "curl", "-sf", "--max-time", "2", api+"/readyz")
		return err == nil
	})
	if out, err := inNS(host, agentBin, "enroll", "--server", api, "--token", enrollTok, "--state", state, "--hostname", "victim"); err != nil {
		t.Fatalf("enroll: %v %s", err, out)
	}
	if err := os.WriteFile(filepath.Join(state, "agent.json"), []byte(`{"heartbeat_seconds":1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	start(t, "ip", "netns", "exec", host, agentBin, "run", "--state", state)

	var agentID string
	eventually("agent listed", func() bool {
		out, err := call("GET", "/api/v1/agents", "")
		var l struct {
			Items []struct{ ID, Hostname, Status string }
		}
		if err != nil || json.Unmarshal([]byte(out), &l) != nil || len(l.Items) != 1 {
			return false
		}
		agentID = l.Items[0].ID
		return l.Items[0].Status == "healthy"
	})
	reachOther := func() error {
		_, err := inNS(host, "curl", "-s", "-o", "/dev/null", "--max-time", "2", "http://10.78.2.2:8080/")
		return err
	}
	eventually("other host reachable before", func() bool { return reachOther() == nil })
	before, err := inNS(host, "nft", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	// command queues one and waits until the agent reports it done.
	command := func(action string) {
		t.Helper()
		out, err := call("POST", "/api/v1/agents/"+agentID+"/commands", `{"action":"`+action+`"}`)
		var c struct{ ID string }
		if err != nil || json.Unmarshal([]byte(out), &c) != nil || c.ID == "" {
			t.Fatalf("queue %s: %v %s", action, err, out)
		}
		eventually(action+" reported", func() bool {
			out, err := call("GET", "/api/v1/agents/"+agentID+"/commands", "")
			if err != nil {
				return false
			}
			var l struct {
				Items []struct {
					ID, Error string
					OK        bool
					DoneAt    *time.Time `json:"done_at"`
				}
			}
			json.Unmarshal([]byte(out), &l)
			for _, it := range l.Items {
				if it.ID == c.ID && it.DoneAt != nil {
					if !it.OK {
						t.Fatalf("%s failed on the agent: %s", action, it.Error)
					}
					return true
				}
			}
			return false
		})
	}

	command("isolate")
	if reachOther() == nil {
		t.Error("isolated host still reaches the other host")
	}
	if _, err := inNS(host, "curl", "-sf", "--max-time", "5", api+"/readyz"); err != nil {
		t.Errorf("isolated host cannot reach the server: %v", err)
	}
	command("release")
	eventually("other host reachable after release", func() bool { return reachOther() == nil })
	after, err := inNS(host, "nft", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("ruleset after release differs:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
