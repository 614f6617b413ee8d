package lint

// Rules that find ways around a deny, decided by the decision engine.

// Their findings come from the rule table's probes (see probes.go): each
// probe has a precondition (ruletable.Probe.IfDenied) that the profile must
// deny for the probe to apply: the exact spelling of a case variant, the
// read of a file that a rename exposes, general egress for DNS.
var bypassRules = []*Rule{
	{ID: "case-variant-deny"},
	{ID: "read-deny-movable"},
	{ID: "dns-exfil-channel"},
}
