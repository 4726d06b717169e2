// SPDX-License-Identifier: GPL-3.0-or-later
//
// The oracle for app/profiles/hearth-go-template.c (tests/test-go-template.c):
// renders a batch of Go chat templates with Go's own text/template the way
// Ollama's template package executes them. Not part of Hearth.
//
// Standard input: a JSON array of cases
//   {"template": "...", "messages": [{"role", "content", "thinking"?,
//    "tool_name"?, "tool_calls"?}], "tools"?: [...], "prompt"?, "suffix"?,
//    "think"?, "is_think_set"?}
// Standard output: a JSON array, one entry a case, in order:
//   {"output": "..."} or {"error": "..."}.
//
// What it reproduces of Ollama (template/template.go): the options
// (missingkey=zero), the json function, {{ .Response }} appended to a
// template that names neither messages nor response (names lower-cased,
// variables included), consecutive messages of one role joined by "\n\n"
// (tool messages apart), .System = every system message joined the same
// way; a template that names messages is executed once with .System,
// .Messages, .Tools, .Response…; any other one once per turn with .System,
// .Prompt and .Response, the last turn by a copy of the tree cut after the
// first .Response; prompt and suffix together: fill-in-middle.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"
	"text/template/parse"
)

// PropertyType is a JSON schema type: one name, or several.
type PropertyType []string

func (p *PropertyType) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*p = PropertyType{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*p = many
	return nil
}

func (p PropertyType) MarshalJSON() ([]byte, error) {
	if len(p) == 1 {
		return json.Marshal(p[0])
	}
	return json.Marshal([]string(p))
}

func (p PropertyType) String() string {
	if len(p) == 1 {
		return p[0]
	}
	return fmt.Sprint([]string(p))
}

type ToolProperty struct {
	AnyOf       []ToolProperty          `json:"anyOf,omitempty"`
	Type        PropertyType            `json:"type,omitempty"`
	Items       any                     `json:"items,omitempty"`
	Description string                  `json:"description,omitempty"`
	Enum        []any                   `json:"enum,omitempty"`
	Properties  map[string]ToolProperty `json:"properties,omitempty"`
	Required    []string                `json:"required,omitempty"`
}

type ToolFunctionParameters struct {
	Type       string                  `json:"type"`
	Defs       any                     `json:"$defs,omitempty"`
	Items      any                     `json:"items,omitempty"`
	Required   []string                `json:"required,omitempty"`
	Properties map[string]ToolProperty `json:"properties"`
}

type ToolFunction struct {
	Name        string                 `json:"name"`
	Description string                 `json:"description"`
	Parameters  ToolFunctionParameters `json:"parameters"`
}

type Tool struct {
	Type     string       `json:"type"`
	Items    any          `json:"items,omitempty"`
	Function ToolFunction `json:"function"`
}

type ToolCallFunctionArguments map[string]any

func (a ToolCallFunctionArguments) String() string {
	b, _ := json.Marshal(a)
	return string(b)
}

type ToolCallFunction struct {
	Index     int                       `json:"index,omitempty"`
	Name      string                    `json:"name"`
	Arguments ToolCallFunctionArguments `json:"arguments"`
}

type ToolCall struct {
	ID       string           `json:"id,omitempty"`
	Function ToolCallFunction `json:"function"`
}

type Message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Thinking   string     `json:"thinking,omitempty"`
	Images     [][]byte   `json:"images,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type Case struct {
	Template   string    `json:"template"`
	Messages   []Message `json:"messages"`
	Tools      []Tool    `json:"tools"`
	Prompt     string    `json:"prompt"`
	Suffix     string    `json:"suffix"`
	Think      bool      `json:"think"`
	IsThinkSet bool      `json:"is_think_set"`
}

type Result struct {
	Output *string `json:"output,omitempty"`
	Error  *string `json:"error,omitempty"`
}

var funcs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
}

func names(n parse.Node) []string {
	var out []string
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			out = append(out, names(c)...)
		}
	case *parse.TemplateNode:
		out = names(n.Pipe)
	case *parse.ActionNode:
		out = names(n.Pipe)
	case *parse.IfNode:
		out = names(&n.BranchNode)
	case *parse.RangeNode:
		out = names(&n.BranchNode)
	case *parse.WithNode:
		out = names(&n.BranchNode)
	case *parse.BranchNode:
		out = names(n.Pipe)
		if n.List != nil {
			out = append(out, names(n.List)...)
		}
		if n.ElseList != nil {
			out = append(out, names(n.ElseList)...)
		}
	case *parse.PipeNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Cmds {
			for _, a := range c.Args {
				out = append(out, names(a)...)
			}
		}
	case *parse.FieldNode:
		out = n.Ident
	case *parse.VariableNode:
		out = n.Ident
	}
	return out
}

// cut drops every node from the first field named Response on (the field
// itself kept), as Ollama's deleteNode does for the last legacy turn.
func cut(n parse.Node, done *bool) parse.Node {
	if f, ok := n.(*parse.FieldNode); ok {
		for _, id := range f.Ident {
			if id == "Response" {
				*done = true
				return n
			}
		}
	}
	if *done {
		return nil
	}
	switch t := n.(type) {
	case *parse.ListNode:
		var kept []parse.Node
		for _, c := range t.Nodes {
			if c := cut(c, done); c != nil {
				kept = append(kept, c)
			}
		}
		t.Nodes = kept
	case *parse.IfNode:
		cutBranch(&t.BranchNode, done)
	case *parse.WithNode:
		cutBranch(&t.BranchNode, done)
	case *parse.RangeNode:
		cutBranch(&t.BranchNode, done)
	case *parse.ActionNode:
		p := cut(t.Pipe, done)
		if p == nil {
			return nil
		}
		t.Pipe = p.(*parse.PipeNode)
	case *parse.PipeNode:
		var cmds []*parse.CommandNode
		for _, c := range t.Cmds {
			var args []parse.Node
			for _, a := range c.Args {
				if a := cut(a, done); a != nil {
					args = append(args, a)
				}
			}
			if len(args) == 0 {
				return nil
			}
			c.Args = args
			cmds = append(cmds, c)
		}
		if len(cmds) == 0 {
			return nil
		}
		t.Cmds = cmds
	}
	return n
}

func cutBranch(b *parse.BranchNode, done *bool) {
	// once .Response is cut in List, an ElseList comes back nil and the
	// type assertion panics, as in Ollama: render reports it as an error
	b.List = cut(b.List, done).(*parse.ListNode)
	if b.ElseList != nil {
		b.ElseList = cut(b.ElseList, done).(*parse.ListNode)
	}
}

func render(c Case) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	t, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(c.Template)
	if err != nil {
		return "", err
	}
	vars := map[string]bool{}
	for _, tt := range t.Templates() {
		for _, n := range tt.Root.Nodes {
			for _, id := range names(n) {
				vars[strings.ToLower(id)] = true
			}
		}
	}
	if !vars["messages"] && !vars["response"] {
		t.Tree.Root.Nodes = append(t.Tree.Root.Nodes, &parse.ActionNode{
			NodeType: parse.NodeAction,
			Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Cmds: []*parse.CommandNode{{
				NodeType: parse.NodeCommand,
				Args:     []parse.Node{&parse.FieldNode{NodeType: parse.NodeField, Ident: []string{"Response"}}},
			}}},
		})
	}

	var systems []string
	var msgs []*Message
	for i := range c.Messages {
		m := &c.Messages[i]
		if m.Role == "system" {
			systems = append(systems, m.Content)
		}
		if n := len(msgs); n > 0 && msgs[n-1].Role == m.Role && m.Role != "tool" {
			msgs[n-1].Content += "\n\n" + m.Content
		} else {
			msgs = append(msgs, m)
		}
	}

	var b bytes.Buffer
	if c.Prompt != "" && c.Suffix != "" {
		err = t.Execute(&b, map[string]any{
			"Prompt": c.Prompt, "Suffix": c.Suffix, "Response": "",
			"Think": c.Think, "IsThinkSet": c.IsThinkSet,
		})
		return b.String(), err
	}
	if vars["messages"] {
		var tools []Tool = c.Tools
		err = t.Execute(&b, map[string]any{
			"System": strings.Join(systems, "\n\n"), "Messages": msgs, "Tools": tools,
			"Response": "", "Think": c.Think, "IsThinkSet": c.IsThinkSet,
		})
		return b.String(), err
	}

	var system, prompt, response string
	values := func() map[string]any {
		return map[string]any{
			"System": system, "Prompt": prompt, "Response": response,
			"Think": c.Think, "IsThinkSet": c.IsThinkSet,
		}
	}
	turn := func() error {
		if err := t.Execute(&b, values()); err != nil {
			return err
		}
		system, prompt, response = "", "", ""
		return nil
	}
	for _, m := range msgs {
		switch m.Role {
		case "system":
			if prompt != "" || response != "" {
				if err := turn(); err != nil {
					return "", err
				}
			}
			system = m.Content
		case "user":
			if response != "" {
				if err := turn(); err != nil {
					return "", err
				}
			}
			prompt = m.Content
		case "assistant":
			response = m.Content
		}
	}
	done := false
	root := cut(t.Tree.Root.Copy(), &done).(*parse.ListNode)
	last, err := template.New("").AddParseTree("", &parse.Tree{Root: root})
	if err != nil {
		return "", err
	}
	if err := last.Execute(&b, values()); err != nil {
		return "", err
	}
	return b.String(), nil
}

func main() {
	var cases []Case
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: bad input:", err)
		os.Exit(2)
	}
	results := make([]Result, len(cases))
	for i, c := range cases {
		out, err := render(c)
		if err != nil {
			msg := err.Error()
			results[i].Error = &msg
		} else {
			results[i].Output = &out
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "oracle: cannot write:", err)
		os.Exit(2)
	}
}
