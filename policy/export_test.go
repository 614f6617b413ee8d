package policy

// SetMutation switches the decision engine to the wrong model named m (""
// restores the real one); it reports false for an unknown name. Test
// binaries only: the mutation suite (TestModelMutations) uses it.
func SetMutation(m string) bool {
	for i := mutNone; i < mutCount; i++ {
		if i.String() == m {
			activeMutation = i
			return true
		}
	}
	return false
}

// Mutations lists the wrong models, in order.
func Mutations() []string {
	var out []string
	for i := mutNone + 1; i < mutCount; i++ {
		out = append(out, i.String())
	}
	return out
}
