package vocab_test

import (
	"testing"

	"github.com/sbplc/sbplc/eval"
	"github.com/sbplc/sbplc/ir"
	"github.com/sbplc/sbplc/source"
)

// TestEvalAcceptsMeasuredConstants: the evaluator resolves the socket
// constants the compiled 14.4.1 vectors encode, without a prelude.
func TestEvalAcceptsMeasuredConstants(t *testing.T) {
	tests := []struct {
		filter, value string
		want          int64
	}{
		{"socket-protocol", "IPPROTO_TCP", 6},
		{"socket-protocol", "IPPROTO_UDP", 17},
		{"socket-domain", "AF_INET", 2},
		{"socket-domain", "AF_SYSTEM", 32},
		{"socket-type", "SOCK_STREAM", 1},
		{"socket-type", "SOCK_DGRAM", 2},
	}
	for _, tt := range tests {
		src := "(version 1)\n(deny default)\n(allow network-outbound (" + tt.filter + " " + tt.value + "))\n"
		res := eval.Run(source.NewFile("t.sb", []byte(src)), eval.Options{Target: "macos14"})
		if res.Diags.HasErrors() {
			t.Errorf("(%s %s): %v", tt.filter, tt.value, res.Diags)
			continue
		}
		var got *ir.FilterNode
		for _, r := range res.Profile.Rules {
			if r.Filter != nil {
				got = r.Filter
			}
		}
		if got == nil || got.Name != tt.filter || len(got.Args) != 1 || got.Args[0].Int != tt.want {
			t.Errorf("(%s %s): filter %+v, want argument %d", tt.filter, tt.value, got, tt.want)
		}
	}
	// A constant the vectors do not prove is still rejected with a hint.
	res := eval.Run(source.NewFile("t.sb", []byte("(version 1)\n(allow network-outbound (socket-protocol IPPROTO_NOPE))\n")), eval.Options{Target: "macos14"})
	if !res.Diags.HasErrors() {
		t.Error("(socket-protocol IPPROTO_NOPE) accepted")
	}
}
