"""Pure logic for what BPJS sends back: kinds of file, results wording, months, links, changes."""
