package eval

// Default limits.
const (
	DefaultSteps     = 1_000_000
	DefaultDepth     = 10_000
	DefaultListLen   = 1_000_000
	DefaultStringLen = 1 << 20
	DefaultRules     = 1_000_000
	DefaultImports   = 256
)

func (l Limits) withDefaults() Limits {
	if l.Steps <= 0 {
		l.Steps = DefaultSteps
	}
	if l.Depth <= 0 {
		l.Depth = DefaultDepth
	}
	if l.ListLen <= 0 {
		l.ListLen = DefaultListLen
	}
	if l.StringLen <= 0 {
		l.StringLen = DefaultStringLen
	}
	if l.Rules <= 0 {
		l.Rules = DefaultRules
	}
	if l.Imports <= 0 {
		l.Imports = DefaultImports
	}
	return l
}
