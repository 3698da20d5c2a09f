// Command rusage runs a program and prints its wall time and peak memory.
// envoybench measures through it because a process's max RSS counts the
// memory of the process it was forked from until it execs: forked from
// this small program, the figure is the measured program's own.
//
//	rusage OUTFILE PROGRAM ARGS... prints "WALL_NANOSECONDS MAXRSS_KIB"
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: rusage OUTFILE PROGRAM [ARGS...]")
		os.Exit(2)
	}
	out, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(2)
	}
	defer out.Close()
	cmd := exec.Command(os.Args[2], os.Args[3:]...)
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(1)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = int64(ru.Maxrss)
	}
	fmt.Printf("%d %d\n", wall.Nanoseconds(), rss)
}
