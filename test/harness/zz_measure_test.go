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
	for i, kwok := range []bool{true} {
		t0 := time.Now()
		e, err := Start(context.Background(), Options{Clusters: 2, Kwok: kwok, AuditLog: true, Log: os.Stderr, Verbose: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("run %d kwok=%v: start %s", i, kwok, time.Since(t0))
		if err := e.Apply("cluster1", "../../examples/bookinfo/cluster1"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Second)
		for k, v := range e.ProcessRSS() {
			t.Logf("  %s RSS %d MB", k, v>>20)
		}
		t1 := time.Now()
		e.Stop()
		t.Logf("  stop %s", time.Since(t1))
	}
}
