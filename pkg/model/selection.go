package model

import (
	"sort"
	"strings"
)

// SelectorGroup is the ServiceEntries of a cluster that share a namespace
// and a workloadSelector, and the WorkloadEntries that selector picks.
// Gloo gives every ServiceEntry of a VirtualDestination the same selector,
// so a cluster with many ServiceEntries has few groups.
type SelectorGroup struct {
	Namespace string
	Selector  map[string]string
	// Entries are indexes in Cluster.ServiceEntries, ascending.
	Entries []int
	// Workloads are indexes in Cluster.WorkloadEntries, ascending.
	Workloads []int
}

// Selection tells which WorkloadEntries each ServiceEntry of a cluster
// selects (ServiceEntry.Selects), computed once per selector rather than
// once per pair of entries: its size grows with the selectors times the
// WorkloadEntries, not with the ServiceEntries times the WorkloadEntries.
type Selection struct {
	Groups    []SelectorGroup
	groupOfSE []int   // index in Groups, -1 for a ServiceEntry that selects nothing
	groupsOfW [][]int // per WorkloadEntry, the groups selecting it, ascending
}

// Select indexes the selection of a cluster's WorkloadEntries by its
// ServiceEntries.
func Select(cl *Cluster) *Selection {
	s := &Selection{groupOfSE: make([]int, len(cl.ServiceEntries)), groupsOfW: make([][]int, len(cl.WorkloadEntries))}
	// WorkloadEntries by namespace and label, to start from the rarest
	// label of a selector.
	byLabel := map[string][]int{}
	for wi, we := range cl.WorkloadEntries {
		for k, v := range we.Labels {
			key := labelKey(we.Ref.Namespace, k, v)
			byLabel[key] = append(byLabel[key], wi)
		}
	}
	groupOf := map[string]int{}
	for si, se := range cl.ServiceEntries {
		s.groupOfSE[si] = -1
		if se.Error != "" || len(se.WorkloadSelector) == 0 {
			continue
		}
		key := selectorKey(se.Ref.Namespace, se.WorkloadSelector)
		gi, ok := groupOf[key]
		if !ok {
			gi = len(s.Groups)
			groupOf[key] = gi
			s.Groups = append(s.Groups, SelectorGroup{Namespace: se.Ref.Namespace, Selector: se.WorkloadSelector})
			var rarest []int
			first := true
			for k, v := range se.WorkloadSelector {
				if l := byLabel[labelKey(se.Ref.Namespace, k, v)]; first || len(l) < len(rarest) {
					rarest, first = l, false
				}
			}
			for _, wi := range rarest {
				if se.Selects(cl.WorkloadEntries[wi]) {
					s.Groups[gi].Workloads = append(s.Groups[gi].Workloads, wi)
					s.groupsOfW[wi] = append(s.groupsOfW[wi], gi)
				}
			}
		}
		s.groupOfSE[si] = gi
		s.Groups[gi].Entries = append(s.Groups[gi].Entries, si)
	}
	return s
}

func labelKey(ns, k, v string) string { return ns + "\x00" + k + "\x00" + v }

func selectorKey(ns string, sel map[string]string) string {
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(ns)
	for _, k := range keys {
		b.WriteString("\x00" + k + "\x00" + sel[k])
	}
	return b.String()
}

// GroupOf returns the group of ServiceEntry si, or -1 when it selects
// nothing (no workloadSelector, or a spec that cannot be read).
func (s *Selection) GroupOf(si int) int { return s.groupOfSE[si] }

// WorkloadsOf returns the WorkloadEntries ServiceEntry si selects.
func (s *Selection) WorkloadsOf(si int) []int {
	if g := s.groupOfSE[si]; g >= 0 {
		return s.Groups[g].Workloads
	}
	return nil
}

// Selected reports whether some ServiceEntry selects WorkloadEntry wi.
func (s *Selection) Selected(wi int) bool { return len(s.groupsOfW[wi]) > 0 }

// GroupsOf returns the groups whose ServiceEntries select WorkloadEntry wi.
func (s *Selection) GroupsOf(wi int) []int { return s.groupsOfW[wi] }
