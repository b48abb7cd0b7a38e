package message

// Why is one reason an output is what it is (the API's team view of a message: Output.Why): a stable
// code with its params, for a page to word in its own language, and the same in English.
type Why struct {
	Code   string         `json:"code"`
	Params map[string]any `json:"params,omitempty"`
	Text   string         `json:"text"`
}
