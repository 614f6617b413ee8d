package eval

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sbplc/sbplc/source"
)

// FuzzEval checks that evaluation never panics, always terminates within
// its limits, and that the expansion of anything without errors evaluates
// again without errors.
func FuzzEval(f *testing.F) {
	seeds := []string{
		"(version 1)(deny default)(allow file-read* (subpath \"/usr\"))",
		"(define (f) (f)) (f)",
		"(define (g n) (+ 1 (g n))) (g 1)",
		"(macro (m form) `(allow ,(cadr form))) (m file-read*)",
		"(let loop ((i 0)) (when (< i 10) (allow file-read* (literal (number->string i))) (loop (+ i 1))))",
		"(define x '(1 . 2)) (set-cdr! x x) (show x) (length x) (equal? x x)",
		"(with-filter (literal \"/a\") (allow file-read*))",
		"(allow network* (remote tcp \"*:80\") (local ip \"localhost:*\"))",
		"`(,@'(1 2) . ,(+ 1))",
		"(eval (read (open-input-string \"(allow file-read*)\")))",
		"(import \"x.sb\") (param \"A\") (string->number (param \"B\"))",
		"(apply-message-filter (allow iokit-external-method))",
		"(version 1)(allow file-read* (literal \"/a\xff\xfeb\") (regex #\"^/\x80\"))",
	}
	if files, _ := filepath.Glob("testdata/*.sb"); len(files) > 0 {
		for _, fn := range files[:1] {
			if b, err := os.ReadFile(fn); err == nil && len(b) < 4096 {
				seeds = append(seeds, string(b))
			}
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 1<<14 {
			return
		}
		opts := Options{Limits: Limits{Steps: 200000, Depth: 2000, ListLen: 100000, StringLen: 1 << 16, Rules: 10000},
			Preludes: []*source.File{source.NewFile("prelude", []byte(testPrelude))},
			ReadFile: func(string) ([]byte, error) { return []byte(text), nil }}
		start := time.Now()
		watchdog := time.AfterFunc(20*time.Second, func() { panic("evaluation hangs on: " + strconv.Quote(text)) })
		defer watchdog.Stop()
		res := Run(source.NewFile("fuzz.sb", []byte(text)), opts)
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("evaluation took %v", d)
		}
		for _, d := range res.Diags {
			if d.Code == "internal-error" {
				t.Fatalf("internal error: %s\n%s", d, strings.Join(d.Notes, "\n"))
			}
		}
		if res.Diags.HasErrors() {
			return
		}
		exp := FormatSBPL(res.Profile)
		again := Run(source.NewFile("fuzz.expanded.sb", []byte(exp)), Options{ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }})
		if again.Diags.HasErrors() {
			t.Fatalf("expansion does not evaluate: %v\n%s", again.Diags, exp)
		}
		if Dump(again.Profile) != Dump(res.Profile) {
			t.Fatalf("expansion evaluates differently:\n%s\n---\n%s", Dump(res.Profile), Dump(again.Profile))
		}
	})
}
