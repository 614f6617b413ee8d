package vocab

import "testing"

var (
	sinkOp     *Operation
	sinkFilter *Filter
	sinkBool   bool
	sinkStr    string
)

func BenchmarkLookupOperation(b *testing.B) {
	for b.Loop() {
		sinkOp, sinkBool = LookupOperation("file-read-data")
	}
}

func BenchmarkResolveOperation(b *testing.B) {
	for b.Loop() {
		sinkOp, sinkBool = ResolveOperation("sysctl-write")
	}
}

func BenchmarkLookupFilter(b *testing.B) {
	for b.Loop() {
		sinkFilter, sinkBool = LookupFilter("subpath")
	}
}

func BenchmarkFilterAppliesTo(b *testing.B) {
	for b.Loop() {
		sinkBool, _ = FilterAppliesTo("subpath", "file-read-data")
	}
}

func BenchmarkTerminalDefault(b *testing.B) {
	for b.Loop() {
		sinkStr, sinkBool = TerminalDefault("process-info*", 1)
	}
}

func BenchmarkHasOperation(b *testing.B) {
	t := DefaultTarget()
	for b.Loop() {
		sinkBool = t.HasOperation("file-read-data")
	}
}

func BenchmarkOperationByID(b *testing.B) {
	t, _ := LookupTarget("macos14")
	for b.Loop() {
		sinkStr, sinkBool = OperationByID(t, 22)
	}
}

func BenchmarkTerminalDefaultFor(b *testing.B) {
	t, _ := LookupTarget("macos14")
	b.ReportAllocs()
	for b.Loop() {
		r, ok := TerminalDefaultFor(t, "file-lock", 1)
		sinkStr, sinkBool = r.Action, ok
	}
}
