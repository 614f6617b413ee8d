package config

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseLargest parses a document of nearly MaxSize bytes that is
// one flow list of one-byte items, the most values a file can hold.
func BenchmarkParseLargest(b *testing.B) {
	var s strings.Builder
	s.WriteString("ignore: [")
	for s.Len() < MaxSize-2 {
		s.WriteString("a,")
	}
	s.WriteString("]\n")
	data := []byte(s.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("c.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAliasBomb parses a billion-laughs document, which fails
// once aliases have copied their limit.
func BenchmarkParseAliasBomb(b *testing.B) {
	var s strings.Builder
	s.WriteString("rules:\n  x:\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&s, "    l%d: &l%d [%s]\n", i, i, strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9))
	}
	data := []byte(s.String())
	for b.Loop() {
		if _, err := Parse("c.yaml", data); err == nil {
			b.Fatal("alias bomb accepted")
		}
	}
}
