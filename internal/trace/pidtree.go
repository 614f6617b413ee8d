package trace

import (
	"context"
	"sync"
	"time"
)

// ProcTable lists the running processes: pid -> parent pid.
type ProcTable func() (map[int]int, error)

// Tracker holds the process tree of one root: the root and every process
// seen with a tracked parent. A process stays tracked after it exits (its
// reports may arrive later). A descendant that starts and exits between
// two observations is not seen: polling is a sample, not a trace.
type Tracker struct {
	mu   sync.Mutex
	pids map[int]bool
}

// NewTracker tracks the tree of root.
func NewTracker(root int) *Tracker { return &Tracker{pids: map[int]bool{root: true}} }

// Observe adds every process of snap that descends from a tracked one.
// Work is linear in the snapshot.
func (t *Tracker) Observe(snap map[int]int) {
	children := map[int][]int{}
	for pid, ppid := range snap {
		if pid != ppid {
			children[ppid] = append(children[ppid], pid)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var queue []int
	for pid := range t.pids {
		queue = append(queue, pid)
	}
	for len(queue) > 0 {
		pid := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, c := range children[pid] {
			if !t.pids[c] {
				t.pids[c] = true
				queue = append(queue, c)
			}
		}
	}
}

// Has reports whether pid belongs to the tree.
func (t *Tracker) Has(pid int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pids[pid]
}

// Len is the number of processes tracked.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pids)
}

// Poll observes table every interval until ctx is done, then once more.
// It returns the first error of the table (polling stops then).
func (t *Tracker) Poll(ctx context.Context, table ProcTable, interval time.Duration) error {
	// opt: kqueue EVFILT_PROC with NOTE_FORK (as Codex does) would catch
	// more short-lived children than sampling; sampling is one portable
	// code path.
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		snap, err := table()
		if err != nil {
			return err
		}
		t.Observe(snap)
		select {
		case <-ctx.Done():
			if snap, err := table(); err == nil {
				t.Observe(snap)
			}
			return nil
		case <-tick.C:
		}
	}
}

// Filter keeps the lines the learner attributes to a tracked process.
func Filter(lines [][]byte, l Learner, t *Tracker) [][]byte {
	var out [][]byte
	for _, line := range lines {
		if pid, ok := l.PID(line); ok && t.Has(pid) {
			out = append(out, line)
		}
	}
	return out
}
