package harness

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestZZMeasure(t *testing.T) {
	if os.Getenv("HARNESS_MEASURE") == "" {
		t.Skip()
	}
	for i := 0; i < 2; i++ {
		t0 := time.Now()
		e, err := Start(context.Background(), Options{Clusters: 2, Kwok: true, AuditLog: true, Log: os.Stderr, Verbose: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d: start %s", i, time.Since(t0))
		for k, v := range e.ProcessRSS() {
			t.Logf("  %s RSS %d MB", k, v>>20)
		}
		e.Stop()
	}
}
