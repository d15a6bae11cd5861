package main

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// relay forwards TCP connections from its own address on 127.0.0.1 to a
// target, and can cut the network between them the way a pulled cable or a
// dropped route does: no reset and no close reach either side, packets just
// stop. While cut, open connections stay open but nothing more is
// forwarded either way, and new connections are accepted and held without
// being forwarded. When the network is restored, the connections of the
// cut are closed (their state is gone) and new ones are forwarded again.
type relay struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[*relayed]bool

	held atomic.Int64 // connections accepted during a cut, never forwarded
}

// relayed is one connection through the relay; server is nil for one held
// during a cut.
type relayed struct {
	client, server net.Conn
	stale          atomic.Bool // cut: forward nothing more, never close
	once           sync.Once
}

func (c *relayed) close() {
	c.once.Do(func() {
		c.client.Close()
		if c.server != nil {
			c.server.Close()
		}
	})
}

func startRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target, conns: map[*relayed]bool{}}
	go r.accept()
	t.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for c := range r.conns {
			c.close()
		}
	})
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) accept() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		go r.forward(c)
	}
}

func (r *relay) forward(client net.Conn) {
	rc := &relayed{client: client}
	r.mu.Lock()
	cut := r.cut
	if cut {
		rc.stale.Store(true)
		r.conns[rc] = true
		r.held.Add(1)
	}
	r.mu.Unlock()
	if cut {
		return // held, unread, until the restore closes it
	}
	server, err := net.DialTimeout("tcp", r.target, 5*time.Second)
	if err != nil {
		client.Close() // the server is down: its host answers with a reset
		return
	}
	rc.server = server
	r.mu.Lock()
	if r.cut { // cut while dialing
		rc.stale.Store(true)
		r.held.Add(1)
	}
	r.conns[rc] = true
	r.mu.Unlock()
	if rc.stale.Load() {
		return
	}
	go r.pump(rc, client, server)
	go r.pump(rc, server, client)
}

// pump copies one direction until either side ends, then closes both,
// unless the network was cut: then it stops without a sound.
func (r *relay) pump(rc *relayed, src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if rc.stale.Load() {
			return // what was read is lost on the cut wire
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			if rc.stale.Load() {
				return
			}
			break
		}
	}
	r.mu.Lock()
	delete(r.conns, rc)
	r.mu.Unlock()
	rc.close()
}

// cutNetwork stops all traffic; it reports how many open connections went
// silent.
func (r *relay) cutNetwork() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = true
	n := 0
	for rc := range r.conns {
		if rc.stale.Swap(true) {
			continue
		}
		n++
		// Wake the pumps (deadlines are local: the peers see nothing).
		now := time.Now()
		rc.client.SetDeadline(now)
		rc.server.SetDeadline(now)
	}
	return n
}

// restoreNetwork lets traffic through again; the connections of the cut are
// closed, as a peer that lost their state would reset them.
func (r *relay) restoreNetwork() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = false
	n := 0
	for rc := range r.conns {
		if rc.stale.Load() {
			delete(r.conns, rc)
			rc.close()
			n++
		}
	}
	return n
}
