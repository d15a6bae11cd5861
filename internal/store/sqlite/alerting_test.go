package sqlite_test

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/storetest"
)

func TestAlertingConformance(t *testing.T) {
	storetest.RunAlerting(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}
