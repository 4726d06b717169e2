// SPDX-License-Identifier: GPL-3.0-or-later
//
// Renders a Go template the way Ollama renders a chat template that uses
// .Messages: Go's own text/template, the messages with consecutive turns of
// one role joined by a blank line (tool turns apart), .System = every system
// message joined the same way. Reads {"template": "...", "messages":
// [{"role": "...", "content": "..."}]} on standard input, writes the prompt
// on standard output. Used by check-ollama-templates.py as the oracle for
// the templates in data/ollama/; not part of Hearth.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
)

type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type Input struct {
	Template string    `json:"template"`
	Messages []Message `json:"messages"`
}

func main() {
	var in Input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: bad input:", err)
		os.Exit(2)
	}
	var systems []string
	var joined []*Message
	for i := range in.Messages {
		m := in.Messages[i]
		if m.Role == "system" {
			systems = append(systems, m.Content)
		}
		n := len(joined)
		if n > 0 && joined[n-1].Role == m.Role && m.Role != "tool" {
			joined[n-1].Content += "\n\n" + m.Content
		} else {
			joined = append(joined, &m)
		}
	}
	t, err := template.New("").Option("missingkey=zero").Parse(in.Template)
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle: template does not parse:", err)
		os.Exit(3)
	}
	data := map[string]any{
		"System":   strings.Join(systems, "\n\n"),
		"Messages": joined,
		"Tools":    nil,
		"Response": "",
	}
	if err := t.Execute(os.Stdout, data); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: template fails:", err)
		os.Exit(3)
	}
}
