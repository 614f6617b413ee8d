package format

import "testing"

// TestCases pins individual layout decisions with exact outputs.
func TestCases(t *testing.T) {
	cases := []struct {
		name, in, want string
		width          int
	}{
		{"empty", "", "", 0},
		{"only blanks", "\n\n  \n", "", 0},
		{"final newline added", "(version 1)", "(version 1)\n", 0},
		{"leading blank lines dropped", "\n\n(version 1)\n", "(version 1)\n", 0},
		{"blank runs collapse", "(a)\n\n\n\n(b)\n", "(a)\n\n(b)\n", 0},
		{"same-line forms split", "(a) (b)\n", "(a)\n(b)\n", 0},
		{"crlf", "(a\r\n  b)\r\n; c\r\n", "(a b)\n; c\n", 0},
		{"comment only", "; one\n\n\n; two\n", "; one\n\n; two\n", 0},
		{"spaces inside parens", "(  allow   file-read*  (literal  \"/a\" ) )\n", "(allow file-read* (literal \"/a\"))\n", 0},
		{"trailing comment on last filter", "(allow a\n  (b) ; c\n  )\n", "(allow a\n  (b) ; c\n)\n", 0},
		{"trailing comment moves no paren", "(allow a (b)) ; c\n", "(allow a (b)) ; c\n", 0},
		{"datum comment at end of list", "(allow a #;(b))\n", "(allow a #;(b)\n)\n", 0},
		{"datum comment top level", "#;(allow a)\n(deny b)\n", "#;(allow a)\n(deny b)\n", 0},
		{"block comment inside", "(allow #| x |# a)\n", "(allow #| x |#\n  a)\n", 0},
		{"comment before head", "(; c\n allow a)\n", "(; c\n allow a)\n", 0},
		{"cpp inside rule", "(allow a\n    #if X\n    (b)\n    #endif\n    (c))\n", "(allow a\n#if X\n  (b)\n#endif\n  (c))\n", 0},
		{"cpp with indentation kept after it", "(define (f)\n#ifdef X\n(allow a)\n#endif\n(allow b))\n", "(define (f)\n#ifdef X\n  (allow a)\n#endif\n  (allow b))\n", 0},
		{"cpp continuation at end of input", "(a)\n#define X \\", "(a)\n#define X \\", 0},
		{"trailing blanks of comments removed", "; a  \t\n(b) ; c \n// d \n#endif  \n", "; a\n(b) ; c\n// d\n#endif\n", 0},
		{"cpp backslash keeps its blank", "#define X \\ \n(a)\n", "#define X \\ \n(a)\n", 0},
		{"slash comment", "  // note\n(a)\n", "// note\n(a)\n", 0},
		{"string spelling kept", "(a \"x\\\"y\\\\z\\n\" #\"\\d+\" \"\\q\")\n", "(a \"x\\\"y\\\\z\\n\" #\"\\d+\" \"\\q\")\n", 0},
		{"numbers and chars kept", "(a #X1f #o017 +5 1e3 #\\A #\\space #T)\n", "(a #X1f #o017 +5 1e3 #\\A #\\space #T)\n", 0},
		{"dotted pair", "(a .  b)\n", "(a . b)\n", 0},
		{"dotted pair broken", "(aaaa bbbb . cccc)\n", "(aaaa bbbb\n  . cccc)\n", 12},
		{"blank next to the dot dropped", "(a .\n\n b)\n", "(a . b)\n", 0},
		{"comment after the dot moves before it", "(a .\n\n ; c\n b)\n", "(a\n\n  ; c\n  . b)\n", 0},
		{"quote forms", "(a ' b ` (c , d ,@ e))\n", "(a 'b `(c ,d ,@e))\n", 0},
		{"vector broken", "#(aaaa bbbb cccc)\n", "#(aaaa\n  bbbb\n  cccc)\n", 10},
		{"let bindings aligned", "(let ((aaaa 1) (bbbb 2)) (f aaaa bbbb))\n", "(let ((aaaa 1)\n      (bbbb 2))\n  (f aaaa bbbb))\n", 20},
		{"ops continue aligned", "(allow aaaa bbbb cccc dddd (x))\n", "(allow aaaa bbbb\n       cccc dddd\n  (x))\n", 18},
		{"blank line keeps body", "(allow a\n\n  b (c))\n", "(allow a\n\n  b\n  (c))\n", 0},
		{"define value broken", "(define name \"a long string value\")\n", "(define name\n  \"a long string value\")\n", 20},
		{"if without else stays flat", "(if x (allow a))\n", "(if x (allow a))\n", 0},
		{"if with else breaks", "(if x (allow a) (deny a))\n", "(if x\n  (allow a)\n  (deny a))\n", 0},
		{"if with atoms stays flat", "(define v (if x \"a\" \"b\"))\n", "(define v (if x \"a\" \"b\"))\n", 0},
		{"two-form body breaks", "(define (f) (a) (b))\n", "(define (f)\n  (a)\n  (b))\n", 0},
		{"one-form body stays flat", "(define (f)\n  (a))\n", "(define (f) (a))\n", 0},
		{"empty list with comment", "( ; c\n)\n", "(\n ; c\n)\n", 0},
		{"unicode width", "(a \"ééééé\" b)\n", "(a \"ééééé\" b)\n", 13},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := Options{Width: c.width}
			got, ds := Source([]byte(c.in), "t.sb", opts)
			if ds.HasErrors() {
				t.Fatalf("syntax errors: %v", ds)
			}
			if string(got) != c.want {
				t.Fatalf("in:\n%s\ngot:\n%s\nwant:\n%s", c.in, got, c.want)
			}
			checkProperties(t, "t.sb", []byte(c.in), opts)
		})
	}
}

// TestRefusesSyntaxErrors checks that no text is produced for broken input.
func TestRefusesSyntaxErrors(t *testing.T) {
	for _, in := range []string{"(allow a", "(a))", "\"open", "#|", "(a . b c)", "'", "#;", "(a #z)"} {
		out, ds := Source([]byte(in), "t.sb", Options{})
		if out != nil || !ds.HasErrors() {
			t.Errorf("%q: got %q and %v", in, out, ds)
		}
	}
}
