package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-vd/kubectl-vd/test/harness"
	"github.com/kubectl-vd/kubectl-vd/test/meshenv"
)

// remoteLatency is added in each direction by the proxies in front of the
// apiservers: clusters are remote for real users.
const remoteLatency = 25 * time.Millisecond

// benchRemote measures find over 1, 2, 4 and 8 contexts, each behind a
// proxy of its own adding remoteLatency each way (contexts alternate
// between the two clusters), against one `kubectl get se -A -l` on one
// context through the same kind of proxy. Target: 8 contexts <= 2x that one
// kubectl get.
func benchRemote(env *harness.Env, r *runner) error {
	names, remote, closeAll, err := remoteContexts(env, r)
	if err != nil {
		return err
	}
	defer closeAll()

	get, err := remote.time(func() (measure, error) {
		m, _, err := remote.exec(remote.cmd("kubectl", "--context", names[0], "get", "serviceentries", "-A", "-l", "gloo.solo.io/parent_name=productpage"))
		return m, err
	})
	if err != nil {
		return err
	}
	fmt.Printf("\nremote clusters (+%s each way): one `kubectl get se -A -l` on 1 context: %.3fs\n", remoteLatency, get.wall.Seconds())
	fmt.Println("contexts  kubectl vd find   / kubectl get   (target for 8: <= 2.0)")
	for _, k := range []int{1, 2, 4, 8} {
		m, err := remote.time(func() (measure, error) {
			m, _, err := remote.exec(remote.cmd(*bin, "find", "productpage", "-n", "bookinfo-frontends", "--context", strings.Join(names[:k], ",")))
			return m, err
		})
		if err != nil {
			return err
		}
		fmt.Printf("%-9d %7.3fs %5.1f MiB  %5.2f\n", k, m.wall.Seconds(), float64(m.maxRSS)/1024, m.wall.Seconds()/get.wall.Seconds())
	}
	return nil
}

// remoteContexts writes a kubeconfig of 8 contexts, each behind a proxy
// of its own adding remoteLatency each way, alternating between the two
// clusters.
func remoteContexts(env *harness.Env, r *runner) (names []string, remote *runner, closeAll func(), err error) {
	cfg, err := clientcmd.LoadFromFile(env.Kubeconfig)
	if err != nil {
		return nil, nil, nil, err
	}
	var proxies []*harness.Proxy
	closeAll = func() {
		for _, p := range proxies {
			p.Close()
		}
	}
	const n = 8
	for i := 1; i <= n; i++ {
		base := fmt.Sprintf("cluster%d", 2-i%2)
		addr, err := env.APIServerAddr(base)
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		p, err := harness.StartProxy(addr, remoteLatency)
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		proxies = append(proxies, p)
		kc := cfg.Contexts[base].DeepCopy()
		cl := cfg.Clusters[kc.Cluster].DeepCopy()
		cl.Server = "https://" + p.Addr()
		name := fmt.Sprintf("remote%d", i)
		cfg.Clusters[name] = cl
		kc.Cluster = name
		cfg.Contexts[name] = kc
		names = append(names, name)
	}
	path := filepath.Join(r.home, "remote-kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	return names, &runner{kubeconfig: path, home: r.home}, closeAll, nil
}

// benchDrift loads the example's proxies (istiod and a test proxy per pod,
// reached through kwok's port-forward) and measures drift over the 8
// remote contexts, every productpage proxy of each (2), against the
// slowest drift of one proxy in one context through the same kind of
// proxy: port-forward included. Target: <= 1.
func benchDrift(ctx context.Context, env *harness.Env, r *runner) error {
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	if _, err := meshenv.Load(ctx, env, root); err != nil {
		return err
	}
	names, remote, closeAll, err := remoteContexts(env, r)
	if err != nil {
		return err
	}
	defer closeAll()
	drift := func(args ...string) (measure, error) {
		return remote.time(func() (measure, error) {
			// Exit 1 is drift found: the example plants a difference
			// between the clusters.
			m, _, err := remote.exec(remote.cmd(*bin, append([]string{"drift", "productpage", "-n", "bookinfo-frontends"}, args...)...), 1)
			return m, err
		})
	}
	var slowest measure
	for _, name := range names[:2] {
		m, err := drift("--context", name, "--proxy", "productpage-v1-a")
		if err != nil {
			return err
		}
		if m.wall > slowest.wall {
			slowest = m
		}
	}
	all, err := drift("--context", strings.Join(names, ","), "-l", "app=productpage")
	if err != nil {
		return err
	}
	fmt.Printf("\ndrift, remote clusters (+%s each way): slowest single proxy of one context %.3fs %5.1f MiB; 8 contexts x 2 proxies %.3fs %5.1f MiB; ratio %.2f (target <= 1)\n",
		remoteLatency, slowest.wall.Seconds(), float64(slowest.maxRSS)/1024, all.wall.Seconds(), float64(all.maxRSS)/1024, all.wall.Seconds()/slowest.wall.Seconds())
	return nil
}

// benchFrozen measures a context whose apiserver stops answering after its
// discovery was cached, with --all-resources: the time of find over it and
// a live context, over --request-timeout. Target <= 1.1.
func benchFrozen(env *harness.Env, r *runner) error {
	const timeout = 5 * time.Second
	args := []string{"find", "productpage", "-n", "bookinfo-frontends", "--context", "cluster1,cluster2", "--all-resources", "--request-timeout", timeout.String(), "-o", "name"}
	// Warm kubectl's discovery cache, as a user's would be.
	if _, _, err := r.exec(r.cmd(*bin, args...)); err != nil {
		return err
	}
	thaw, err := env.FreezeCluster("cluster2")
	if err != nil {
		return err
	}
	defer thaw()
	c := r.cmd(*bin, args...)
	c.Stderr = nil
	start := time.Now()
	err = c.Run()
	wall := time.Since(start)
	if code := c.ProcessState.ExitCode(); err != nil && code != 1 {
		return fmt.Errorf("find with a frozen context: %v", err)
	}
	fmt.Printf("\nfrozen context, warm cache, --all-resources, --request-timeout %s: %.3fs, ratio %.2f (target <= 1.1)\n",
		timeout, wall.Seconds(), wall.Seconds()/timeout.Seconds())
	return thaw()
}
