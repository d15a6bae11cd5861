package sqlite_test

import (
	"testing"

	"github.com/yagura-soc/yagura/internal/store"
	"github.com/yagura-soc/yagura/internal/store/storetest"
)

func TestIOCConformance(t *testing.T) {
	storetest.RunIOCs(t, func(t *testing.T, dir string) store.State { return open(t, dir) })
}
