package sigma

import (
	"sync"
	"testing"
)

// TestConcurrentDetect runs one engine from several goroutines: every
// goroutine must see exactly the matches a sequential run sees.
func TestConcurrentDetect(t *testing.T) {
	eng := loadSigmaHQ(t)
	events := loadAttackSamples(t)
	if len(events) > 1500 {
		events = events[:1500]
	}
	want := make([]string, len(events))
	for i, ev := range events {
		want[i] = matchKeys(eng.Detect(ev, nil))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(offset int) {
			defer wg.Done()
			for k := range events {
				i := (k + offset*len(events)/4) % len(events)
				if got := matchKeys(eng.Detect(events[i], nil)); got != want[i] {
					errs <- got + " != " + want[i]
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
