package ingest

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ServeStream accepts connections on ln until ctx ends and serves each in
// its own goroutine, closing it when serve returns. When ctx ends it
// closes ln, sets every open connection's read deadline to now, so that
// its reader stops and hands over what it has fully received, and returns
// once every serve has returned. name labels accept errors in the log.
func ServeStream(ctx context.Context, ln net.Listener, log *slog.Logger, name string, serve func(net.Conn)) {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	var conns sync.Map
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				log.Warn(name+" accept", "err", err)
				continue
			}
			break
		}
		conns.Store(c, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conns.Delete(c)
			defer c.Close()
			serve(c)
		}()
	}
	// Every accepted connection is stored by now: unblock their readers.
	conns.Range(func(k, _ any) bool { k.(net.Conn).SetReadDeadline(time.Now()); return true })
	wg.Wait()
}
