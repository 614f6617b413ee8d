// Package archtest holds a test that enforces sbplc's import direction:
//
//	source ← diag ← ast ← parser ← eval ← (lint, compile, ...) ← cmd/sbplc
//
// Participle stays inside parser, cobra inside cmd, the foundation packages
// (source, diag, ast) import nothing of sbplc but what the arrow allows, and
// no production package imports the test-only corpus or testutil packages
// (the binary never reads ../shared at run time).
package archtest
