// Package archtest holds the tests that enforce sbplc's import graph
// (graph.go): packages in layers from source up to cmd/sbplc, imports only
// downwards and only along the intended edges, participle only in parser,
// cobra only in cmd, only internal/driver running the linter, and no
// production package depending on the test-only corpus or testutil
// packages (so the binary never reads ../shared at run time). The graph is
// shown in docs/architecture.md, which a test keeps equal to graph.go.
package archtest
