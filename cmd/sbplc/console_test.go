package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
)

// A console transcript is what a documentation page shows in a ```console
// block: command lines starting with "$ ", each followed by what the
// command prints (standard output and standard error, interleaved as a
// terminal shows them). The script command
//
//	console NAME
//
// runs the transcript held in the script's archive file NAME with sh in the
// script's work directory (sbplc on the PATH) and fails unless every
// command prints what the transcript says and exits with the status it
// says: 0, or N when the command line ends in a comment "# exit N ...".
// In the expected output a line "..." stands for any number of lines, and
// a line ending in "..." for any line that starts with the text before it;
// blank lines at the end of a command's output are not compared. A
// command line with a here-document (<<'EOF' or <<EOF) takes the lines up
// to the terminator as its input. TestDocTranscripts checks that every
// ```console block of the documentation is such a transcript, verbatim.

// transcriptStep is one command of a transcript and what it must print.
type transcriptStep struct {
	line int    // 1-based line of the command in the transcript
	cmd  string // the shell text, here-document included
	exit int    // the expected exit status
	want []string
}

var (
	exitComment = regexp.MustCompile(`(?:^|\s)#\s*exit (\d+)\b`)
	heredocTag  = regexp.MustCompile(`<<-?\s*'?([A-Za-z_]+)'?`)
)

// parseTranscript splits a transcript into its commands.
func parseTranscript(text string) ([]transcriptStep, error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	var steps []transcriptStep
	for i := 0; i < len(lines); {
		l := lines[i]
		if !strings.HasPrefix(l, "$ ") {
			return nil, fmt.Errorf("line %d: %q: a transcript starts with a command line (\"$ ...\")", i+1, l)
		}
		st := transcriptStep{line: i + 1, cmd: strings.TrimPrefix(l, "$ ")}
		if m := exitComment.FindStringSubmatch(st.cmd); m != nil {
			st.exit, _ = strconv.Atoi(m[1])
		}
		i++
		if m := heredocTag.FindStringSubmatch(st.cmd); m != nil {
			for ; i < len(lines) && lines[i] != m[1]; i++ {
				st.cmd += "\n" + lines[i]
			}
			if i == len(lines) {
				return nil, fmt.Errorf("line %d: here-document %s is never terminated", st.line, m[1])
			}
			st.cmd += "\n" + m[1]
			i++
		}
		for ; i < len(lines) && !strings.HasPrefix(lines[i], "$ "); i++ {
			st.want = append(st.want, lines[i])
		}
		st.want = trimBlankTail(st.want)
		steps = append(steps, st)
	}
	return steps, nil
}

func trimBlankTail(l []string) []string {
	for len(l) > 0 && strings.TrimSpace(l[len(l)-1]) == "" {
		l = l[:len(l)-1]
	}
	return l
}

// matchLines reports whether got matches the pattern lines want ("..."
// for any lines, "TEXT..." for a line starting with TEXT).
func matchLines(want, got []string) bool {
	// memo[i][j]: want[i:] matches got[j:] is known false.
	failed := map[[2]int]bool{}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if failed[[2]int{i, j}] {
			return false
		}
		ok := false
		switch {
		case i == len(want):
			ok = j == len(got)
		case want[i] == "...":
			for k := j; k <= len(got) && !ok; k++ {
				ok = match(i+1, k)
			}
		case j < len(got) && lineMatches(want[i], got[j]):
			ok = match(i+1, j+1)
		}
		if !ok {
			failed[[2]int{i, j}] = true
		}
		return ok
	}
	return match(0, 0)
}

func lineMatches(want, got string) bool {
	if want == got {
		return true
	}
	prefix, ok := strings.CutSuffix(want, "...")
	return ok && strings.HasPrefix(got, prefix)
}

// consoleEnv are the variables a transcript's commands see.
var consoleEnv = []string{"PATH", "HOME", "WORK", "TMPDIR", "NO_COLOR", "REPO", "SHARED"}

func cmdConsole(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: console NAME")
	}
	steps, err := parseTranscript(ts.ReadFile(args[0]))
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	update := os.Getenv("SBPLC_UPDATE") != ""
	var actual strings.Builder // the transcript as the commands ran, for SBPLC_UPDATE
	changed := false
	env := []string{"LC_ALL=C", "TERM=dumb"}
	for _, k := range consoleEnv {
		env = append(env, k+"="+ts.Getenv(k))
	}
	for _, st := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, "sh", "-c", st.cmd)
		cmd.Dir = ts.MkAbs(".")
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = &out // the same writer: one pipe, the terminal's order
		err := cmd.Run()
		cancel()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("%s:%d: %s: %v", args[0], st.line, st.cmd, err)
		}
		got := trimBlankTail(strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"))
		if out.Len() == 0 {
			got = nil
		}
		ts.Logf("$ %s\n%s(exit %d)", st.cmd, out.String(), code)
		ok := code == st.exit && matchLines(st.want, got)
		if update {
			actual.WriteString("$ " + st.cmd + "\n")
			if ok {
				got = st.want
			} else {
				changed = true
			}
			for _, l := range got {
				actual.WriteString(l + "\n")
			}
			continue
		}
		if code != st.exit {
			ts.Fatalf("%s:%d: %s: exit status %d, the transcript says %d (end the command line with \"# exit %d\")", args[0], st.line, st.cmd, code, st.exit, code)
		}
		if !ok {
			ts.Fatalf("%s:%d: %s: the output differs from the transcript (SBPLC_UPDATE=1 rewrites it in the script):\n--- transcript\n%s\n--- output\n%s", args[0], st.line, st.cmd,
				strings.Join(st.want, "\n"), strings.Join(got, "\n"))
		}
	}
	if changed {
		rewriteTranscript(ts, args[0], actual.String())
	}
}

// rewriteTranscript replaces archive file name of the running script with
// text (SBPLC_UPDATE=1): the transcript as the commands ran. Exit statuses
// are not rewritten, and the documentation page must then be given the
// same text (TestDocTranscripts says where).
func rewriteTranscript(ts *testscript.TestScript, name, text string) {
	path := filepath.Join("..", "..", "testdata", "script", ts.Name()+".txtar")
	a, err := txtar.ParseFile(path)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	for i := range a.Files {
		if a.Files[i].Name == name {
			a.Files[i].Data = []byte(text)
		}
	}
	if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Logf("rewrote %s in %s", name, path)
}
