package facematch

// Template is an L2-normalised 512-d face embedding. It stays in memory only; Zero
// wipes it when the session ends.
type Template struct {
	v [EmbeddingSize]float32
}

// Cosine is the cosine similarity of two templates (both are unit length).
func (t *Template) Cosine(o *Template) float64 {
	if t == nil || o == nil {
		return 0
	}
	var s float64
	for i := range t.v {
		s += float64(t.v[i]) * float64(o.v[i])
	}
	return s
}

// Zero overwrites the template.
func (t *Template) Zero() {
	if t == nil {
		return
	}
	clear(t.v[:])
}

// IsZero reports whether the template has been wiped (or never filled).
func (t *Template) IsZero() bool {
	for _, x := range t.v {
		if x != 0 {
			return false
		}
	}
	return true
}
