package lint

// HasProbeText reports whether probe rule id has message text.
func HasProbeText(id string) bool {
	t, ok := probeTexts[id]
	return ok && (t.format != nil || t.fix != "")
}
