//! Just enough XML for AWS's Query and REST answers: elements, their text
//! and children (EC2, S3 and the errors of both).

/// An XML element: its local name, its text and its children.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// The document's root element; `None` when it is not XML.
    pub(crate) fn parse(text: &str) -> Option<Element> {
        let mut stack: Vec<Element> = vec![Element::default()];
        for token in xmlparser::Tokenizer::from(text) {
            match token.ok()? {
                xmlparser::Token::ElementStart { local, .. } => stack.push(Element {
                    name: local.as_str().to_string(),
                    ..Element::default()
                }),
                xmlparser::Token::ElementEnd { end, .. } => match end {
                    xmlparser::ElementEnd::Open => {}
                    xmlparser::ElementEnd::Close(..) | xmlparser::ElementEnd::Empty => {
                        let done = stack.pop()?;
                        stack.last_mut()?.children.push(done);
                    }
                },
                xmlparser::Token::Text { text } | xmlparser::Token::Cdata { text, .. } => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&unescape(text.as_str()));
                    }
                }
                _ => {}
            }
        }
        stack.pop()?.children.into_iter().next()
    }

    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(crate) fn text_of(&self, name: &str) -> String {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .unwrap_or_default()
    }

    /// The first element of this name at any depth, this one included.
    pub(crate) fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

/// XML's five predefined entities and numeric character references.
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_unescaped() {
        assert_eq!(
            unescape("a &amp; b &lt;c&gt; &#65;&#x42; &bogus; &"),
            "a & b <c> AB &bogus; &"
        );
    }
}
