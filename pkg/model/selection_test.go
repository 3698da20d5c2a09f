package model

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// TestSelectAgreesWithSelects: the index gives every ServiceEntry exactly
// the WorkloadEntries ServiceEntry.Selects picks, in order, on random
// namespaces, selectors and labels.
func TestSelectAgreesWithSelects(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	labels := func(n int) map[string]string {
		if n == 0 {
			return nil
		}
		m := map[string]string{}
		for i := 0; i < n; i++ {
			m[fmt.Sprint("k", rng.Intn(3))] = fmt.Sprint("v", rng.Intn(2))
		}
		return m
	}
	for round := 0; round < 200; round++ {
		cl := &Cluster{}
		for i := 0; i < rng.Intn(8); i++ {
			se := ServiceEntry{Ref: Ref{Kind: "ServiceEntry", Namespace: fmt.Sprint("ns", rng.Intn(2)), Name: fmt.Sprint("se", i)},
				WorkloadSelector: labels(rng.Intn(3))}
			if rng.Intn(10) == 0 {
				se.Error = "spec cannot be read"
				se.WorkloadSelector = nil
			}
			cl.ServiceEntries = append(cl.ServiceEntries, se)
		}
		for i := 0; i < rng.Intn(10); i++ {
			cl.WorkloadEntries = append(cl.WorkloadEntries, WorkloadEntry{
				Ref: Ref{Kind: "WorkloadEntry", Namespace: fmt.Sprint("ns", rng.Intn(2)), Name: fmt.Sprint("we", i)}, Labels: labels(rng.Intn(4))})
		}
		sel := Select(cl)
		for si, se := range cl.ServiceEntries {
			var want []int
			for wi, we := range cl.WorkloadEntries {
				if se.Selects(we) {
					want = append(want, wi)
				}
			}
			if got := sel.WorkloadsOf(si); !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d: %s selects %v, want %v", round, se.Ref, got, want)
			}
		}
		for wi, we := range cl.WorkloadEntries {
			want := false
			for _, se := range cl.ServiceEntries {
				want = want || se.Selects(we)
			}
			if sel.Selected(wi) != want {
				t.Fatalf("round %d: %s selected %v, want %v", round, we.Ref, sel.Selected(wi), want)
			}
		}
	}
}
