package lazyre

import (
	"testing"
)

func TestNewCompilesOnFirstUseOnly(t *testing.T) {
	re := New(`^a+$`)
	if !re().MatchString("aaa") || re().MatchString("b") {
		t.Fatal("the compiled expression does not match as written")
	}
	if re() != re() {
		t.Error("each call compiled the expression again")
	}
}

func TestNewDefersTheCompileError(t *testing.T) {
	// New itself must not compile: a bad expression panics at the first
	// call, not when the package variable is initialised.
	re := New(`(`)
	defer func() {
		if recover() == nil {
			t.Error("a bad expression did not panic at its first use")
		}
	}()
	re()
}

func TestNewAllocatesNothingUntilUsed(t *testing.T) {
	n := testing.AllocsPerRun(100, func() { _ = New(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}$`) })
	// sync.OnceValue's closure and state; compiling the expression costs
	// dozens of allocations.
	if n > 6 {
		t.Errorf("New made %v allocations: it compiles eagerly", n)
	}
}
