package parser

import "testing"

// TestByteTables checks the lexer's byte tables against the character
// classes they encode.
func TestByteTables(t *testing.T) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		wantBad := b == '[' || b == ']' || b == '{' || b == '}' || b == '|' || b == '\\' || b < 0x20 || b == 0x7f
		if got := invalidSymbolChar([]byte{'a', b}) == 1; got != wantBad {
			t.Errorf("byte %#x: invalid inside a symbol = %v, want %v", b, got, wantBad)
		}
		wantDelim := b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == '\v' || b == '(' || b == ')' || b == '"' || b == ';'
		if isDelim(b) != wantDelim {
			t.Errorf("byte %#x: isDelim = %v, want %v", b, isDelim(b), wantDelim)
		}
	}
	if invalidSymbolChar([]byte("@x")) != 0 || invalidSymbolChar([]byte("x@")) != -1 {
		t.Error("@ is invalid only as the first character")
	}
}
