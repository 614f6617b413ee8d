package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The helpers the command tests share: running sbplc in-process and
// writing its inputs.

// runSbplc runs sbplc in-process with stdin as its standard input and
// returns its standard output, standard error and exit code.
func runSbplc(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// writeTree writes files (slash-separated relative name -> text) under a
// fresh temporary directory, creating subdirectories, and returns the
// directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), text)
	}
	return dir
}

// writeFile writes text to path, creating its directory, and returns path.
func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tempFile writes text to a file called name in a fresh temporary
// directory and returns its path.
func tempFile(t *testing.T, name, text string) string {
	t.Helper()
	return writeFile(t, filepath.Join(t.TempDir(), name), text)
}

// readFile returns the content of path.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sarifLog is the part of a SARIF log (lint's and audit's --format sarif)
// the command tests read.
type sarifLog struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Rules   []struct {
					ID                   string         `json:"id"`
					Name                 string         `json:"name"`
					HelpURI              string         `json:"helpUri"`
					Help                 *sarifText     `json:"help"`
					ShortDescription     sarifText      `json:"shortDescription"`
					DefaultConfiguration sarifLevel     `json:"defaultConfiguration"`
					Properties           map[string]any `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string    `json:"ruleId"`
			RuleIndex int       `json:"ruleIndex"`
			Level     string    `json:"level"`
			Message   sarifText `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI         string     `json:"uri"`
						Description *sarifText `json:"description"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Fixes        []any             `json:"fixes"`
			Fingerprints map[string]string `json:"partialFingerprints"`
		} `json:"results"`
	} `json:"runs"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifLevel struct {
	Level string `json:"level"`
}

// decodeSARIF decodes out, a SARIF log, or fails the test.
func decodeSARIF(t *testing.T, out string) sarifLog {
	t.Helper()
	var log sarifLog
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("bad SARIF: %v\n%s", err, out)
	}
	return log
}
