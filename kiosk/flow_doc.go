package kiosk

import (
	"fmt"
	"strings"
)

// Diagram renders a transition table as a Mermaid state diagram, for the docs: it is
// generated from the same table the machine runs, so it cannot drift. AnyState rules
// and rules that keep the state are left out (they would draw an arrow from every
// state); guards appear in brackets.
func Diagram(table []Rule) string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	fmt.Fprintf(&b, "    [*] --> %s\n", StateAttract)
	seen := map[string]bool{}
	for _, r := range table {
		if r.From == AnyState || r.To == "" || r.To == r.From {
			continue
		}
		label := string(r.On)
		if r.If != GuardNone {
			label += " [" + string(r.If) + "]"
		}
		line := fmt.Sprintf("    %s --> %s: %s\n", r.From, r.To, label)
		if !seen[line] {
			seen[line] = true
			b.WriteString(line)
		}
	}
	return b.String()
}
