//! OData query options: exactly the `$filter`, `$select`, `$expand`, `$top` and `$skiptoken` that pimctl needs.
//! Anything else is rejected with a 400, never silently ignored.

use super::http::{ApiError, ApiResult};
use serde_json::Value;

/// The largest `$top` accepted: the directory's documented maximum, and the default where Microsoft states none.
pub const MAX_TOP: usize = 999;

/// The parsed query options of one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOptions {
    pub filter: Option<Filter>,
    pub select: Option<Vec<String>>,
    pub expand: Vec<ExpandItem>,
    pub top: Option<usize>,
    /// The offset a `$skiptoken` stands for.
    pub skip: usize,
    /// The query pairs as received, to build `@odata.nextLink`.
    pub raw: Vec<(String, String)>,
}

/// One `$expand` item: `rules`, `policy($expand=rules)`, `principal($select=id,userType)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandItem {
    pub name: String,
    pub select: Option<Vec<String>>,
    pub expand: Vec<ExpandItem>,
}

/// What an endpoint accepts.
#[derive(Debug, Clone, Copy)]
pub struct QuerySpec {
    /// `$filter`, `$top` and `$skiptoken` are accepted (collections only).
    pub collection: bool,
    /// Properties `$filter` may name.
    pub filter: &'static [&'static str],
    /// `isof(principal, '...')` is accepted.
    pub isof: bool,
    /// Structural properties `$select` may name.
    pub props: &'static [&'static str],
    /// Navigation properties `$expand` may name, and the entity type name for error messages.
    pub nav: &'static [&'static str],
    pub type_name: &'static str,
}

/// Parses the raw query string of a request against what the endpoint accepts.
pub fn parse(raw_query: &str, spec: &QuerySpec) -> ApiResult<QueryOptions> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw_query)
        .map_err(|e| ApiError::bad_request(format!("The query string is malformed: {e}")))?;
    let mut q = QueryOptions {
        raw: pairs.clone(),
        ..Default::default()
    };
    let mut seen = std::collections::BTreeSet::new();
    for (k, v) in &pairs {
        let key = k.trim();
        if !key.starts_with('$') {
            continue; // Graph ignores parameters that are not system query options.
        }
        let key = key.to_ascii_lowercase();
        if !seen.insert(key.clone()) {
            return Err(ApiError::bad_request(format!(
                "Query option '{key}' was specified more than once, but it must be specified at most once."
            )));
        }
        match key.as_str() {
            "$filter" if spec.collection => {
                let f = parse_filter(v)?;
                validate_filter(&f, spec)?;
                q.filter = Some(f);
            }
            "$select" => q.select = Some(parse_select(v, spec.props, &[], spec.type_name)?),
            "$expand" => {
                let items = parse_expand(v)?;
                for it in &items {
                    if !spec.nav.iter().any(|n| *n == it.name) {
                        return Err(no_property(&it.name, spec.type_name));
                    }
                }
                q.expand = items;
            }
            "$top" if spec.collection => q.top = Some(parse_top(v)?),
            "$skiptoken" if spec.collection => q.skip = decode_skiptoken(v)?,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "Query option '{k}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings."
                )));
            }
        }
    }
    if let Some(sel) = &q.select {
        // Expanded navigation properties may also be named in $select.
        let _ = sel;
    }
    Ok(q)
}

/// `$top`: 1 to [`MAX_TOP`].
pub fn parse_top(v: &str) -> ApiResult<usize> {
    let n: usize = v.trim().parse().map_err(|_| {
        ApiError::bad_request(format!("Invalid value '{v}' for query option $top."))
    })?;
    if n == 0 || n > MAX_TOP {
        return Err(ApiError::bad_request(format!(
            "Invalid page size specified: '{n}'. Must be between 1 and {MAX_TOP} inclusive."
        )));
    }
    Ok(n)
}

fn no_property(name: &str, type_name: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."
    ))
}

/// `$select=a,b,c`, each name one of `props` or `nav`.
pub fn parse_select(
    v: &str,
    props: &[&str],
    nav: &[&str],
    type_name: &str,
) -> ApiResult<Vec<String>> {
    let mut out = vec![];
    for name in v.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(ApiError::bad_request("$select has an empty item."));
        }
        if name == "*" {
            out.extend(props.iter().map(|p| p.to_string()));
            continue;
        }
        let known = props
            .iter()
            .chain(nav.iter())
            .find(|p| p.eq_ignore_ascii_case(name))
            .ok_or_else(|| no_property(name, type_name))?;
        out.push(known.to_string());
    }
    Ok(out)
}

/// `$expand=a,b($select=x;$expand=c)`. Names are checked by the caller (they depend on the entity).
pub fn parse_expand(v: &str) -> ApiResult<Vec<ExpandItem>> {
    let mut out = vec![];
    for part in split_top(v, ',')? {
        let part = part.trim();
        if part.is_empty() {
            return Err(ApiError::bad_request("$expand has an empty item."));
        }
        let (name, inner) = match part.find('(') {
            Some(i) => {
                if !part.ends_with(')') {
                    return Err(ApiError::bad_request(format!(
                        "Invalid $expand item '{part}'."
                    )));
                }
                (&part[..i], Some(&part[i + 1..part.len() - 1]))
            }
            None => (part, None),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ApiError::bad_request(format!(
                "Invalid $expand item '{part}'."
            )));
        }
        let mut item = ExpandItem {
            name: name.to_string(),
            select: None,
            expand: vec![],
        };
        if let Some(inner) = inner {
            for opt in split_top(inner, ';')? {
                let opt = opt.trim();
                if opt.is_empty() {
                    continue;
                }
                let (k, val) = opt.split_once('=').ok_or_else(|| {
                    ApiError::bad_request(format!("Invalid nested query option '{opt}'."))
                })?;
                match k.trim().to_ascii_lowercase().as_str() {
                    "$select" => {
                        item.select = Some(
                            val.split(',')
                                .map(|s| s.trim().to_string())
                                .filter(|s| !s.is_empty())
                                .collect(),
                        )
                    }
                    "$expand" => item.expand = parse_expand(val)?,
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "Query option '{other}' is not allowed inside $expand."
                        )));
                    }
                }
            }
        }
        out.push(item);
    }
    Ok(out)
}

/// Splits on `sep` outside parentheses and quotes.
fn split_top(s: &str, sep: char) -> ApiResult<Vec<&str>> {
    let mut out = vec![];
    let mut depth = 0i32;
    let mut in_str = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth < 0 {
                    return Err(ApiError::bad_request("Unbalanced parentheses in $expand."));
                }
            }
            c if c == sep && depth == 0 && !in_str => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 || in_str {
        return Err(ApiError::bad_request("Unbalanced parentheses in $expand."));
    }
    out.push(&s[start..]);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------------------------
// $skiptoken

const SKIP_SALT: u64 = 0x9e37_79b9_7f4a_7c15;

/// An opaque token for an offset. Clients must follow `@odata.nextLink` unchanged and never build one.
pub fn encode_skiptoken(offset: usize) -> String {
    let v = (offset as u64) ^ SKIP_SALT;
    format!("RFNwdF{v:016x}")
}

fn decode_skiptoken(t: &str) -> ApiResult<usize> {
    let bad = || ApiError::bad_request(format!("The $skiptoken '{t}' is not valid."));
    let hex = t.trim().strip_prefix("RFNwdF").ok_or_else(bad)?;
    if hex.len() != 16 {
        return Err(bad());
    }
    let v = u64::from_str_radix(hex, 16).map_err(|_| bad())? ^ SKIP_SALT;
    usize::try_from(v)
        .ok()
        .filter(|v| *v <= 1 << 40)
        .ok_or_else(bad)
}

/// Cuts one page out of `items`; returns the page and the offset of the next one, if any.
pub fn page(items: Vec<Value>, skip: usize, size: usize) -> (Vec<Value>, Option<usize>) {
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(skip).take(size).collect();
    let next = skip.saturating_add(size);
    (page, (next < total).then_some(next))
}

/// The absolute URL of the next page: the same query with a new `$skiptoken`.
pub fn next_link(root: &str, path: &str, raw: &[(String, String)], offset: usize) -> String {
    let mut pairs: Vec<(String, String)> = raw
        .iter()
        .filter(|(k, _)| !k.trim().eq_ignore_ascii_case("$skiptoken"))
        .cloned()
        .collect();
    pairs.push(("$skiptoken".into(), encode_skiptoken(offset)));
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{root}{path}?{qs}")
}

// ---------------------------------------------------------------------------------------------------------------
// $select and $expand on JSON, and @odata.context

/// Keeps the selected properties (and annotations and the named navigation properties) of an object.
pub fn apply_select(v: &mut Value, select: &[String], keep: &[&str]) {
    if let Value::Object(m) = v {
        m.retain(|k, _| {
            k.starts_with("@odata.")
                || select.iter().any(|s| s == k)
                || keep.contains(&k.as_str())
                || k.ends_with("@odata.context")
        });
    }
}

/// The projection part of `@odata.context`: `(a,b,nav(),nav2(x))`, or empty.
pub fn projection(select: Option<&[String]>, expand: &[ExpandItem]) -> String {
    let mut parts: Vec<String> = select.map(|s| s.to_vec()).unwrap_or_default();
    for e in expand {
        parts.retain(|p| p != &e.name);
        let inner = projection(e.select.as_deref(), &e.expand);
        let inner = inner
            .strip_prefix('(')
            .and_then(|i| i.strip_suffix(')'))
            .unwrap_or("");
        parts.push(format!("{}({inner})", e.name));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("({})", parts.join(","))
    }
}

// ---------------------------------------------------------------------------------------------------------------
// $filter

/// A `$filter` expression, in the subset pimctl uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Cmp {
        prop: String,
        ne: bool,
        value: Literal,
    },
    In {
        prop: String,
        values: Vec<Literal>,
    },
    /// `isof(principal,'microsoft.graph.user')`.
    IsOf {
        prop: String,
        type_name: String,
    },
    StartsWith {
        prop: String,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Bool(bool),
    Null,
    Num(f64),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
    Comma,
}

fn invalid_filter(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Invalid filter clause: {detail}"))
}

fn tokenize(s: &str) -> ApiResult<Vec<Tok>> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = vec![];
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(invalid_filter("unterminated string literal")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            v.push(*c);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || "-.".contains(chars[i]))
                {
                    i += 1;
                }
                let t: String = chars[start..i].iter().collect();
                match t.parse::<f64>() {
                    Ok(n) => out.push(Tok::Num(n)),
                    Err(_) => out.push(Tok::Ident(t)),
                }
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || "_/.$".contains(chars[i])) {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => return Err(invalid_filter(format!("unexpected character '{other}'"))),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == kw)
    }
    fn expect(&mut self, t: Tok) -> ApiResult<()> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(invalid_filter(format!("expected {t:?}, found {other:?}"))),
        }
    }
    fn or(&mut self) -> ApiResult<Filter> {
        let mut l = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            let r = self.and()?;
            l = Filter::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn and(&mut self) -> ApiResult<Filter> {
        let mut l = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            let r = self.unary()?;
            l = Filter::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn unary(&mut self) -> ApiResult<Filter> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(invalid_filter("the expression is nested too deeply"));
        }
        let r = if self.keyword("not") {
            self.pos += 1;
            Ok(Filter::Not(Box::new(self.unary()?)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        r
    }
    fn literal(&mut self) -> ApiResult<Literal> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Literal::Str(s)),
            Some(Tok::Num(n)) => Ok(Literal::Num(n)),
            Some(Tok::Ident(s)) if s == "true" => Ok(Literal::Bool(true)),
            Some(Tok::Ident(s)) if s == "false" => Ok(Literal::Bool(false)),
            Some(Tok::Ident(s)) if s == "null" => Ok(Literal::Null),
            other => Err(invalid_filter(format!(
                "expected a literal, found {other:?}"
            ))),
        }
    }
    fn primary(&mut self) -> ApiResult<Filter> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.or()?;
                self.expect(Tok::RParen)?;
                Ok(e)
            }
            Some(Tok::Ident(f)) if self.peek() == Some(&Tok::LParen) => {
                self.pos += 1;
                let prop = match self.next() {
                    Some(Tok::Ident(p)) => p,
                    other => {
                        return Err(invalid_filter(format!(
                            "expected a property, found {other:?}"
                        )));
                    }
                };
                self.expect(Tok::Comma)?;
                let arg = match self.next() {
                    Some(Tok::Str(s)) => s,
                    other => {
                        return Err(invalid_filter(format!(
                            "expected a string, found {other:?}"
                        )));
                    }
                };
                self.expect(Tok::RParen)?;
                match f.as_str() {
                    "isof" => Ok(Filter::IsOf {
                        prop,
                        type_name: arg,
                    }),
                    "startswith" => Ok(Filter::StartsWith { prop, value: arg }),
                    other => Err(invalid_filter(format!(
                        "the function '{other}' is not supported"
                    ))),
                }
            }
            Some(Tok::Ident(prop)) => match self.next() {
                Some(Tok::Ident(op)) if op == "eq" || op == "ne" => Ok(Filter::Cmp {
                    prop,
                    ne: op == "ne",
                    value: self.literal()?,
                }),
                Some(Tok::Ident(op)) if op == "in" => {
                    self.expect(Tok::LParen)?;
                    let mut values = vec![self.literal()?];
                    while self.peek() == Some(&Tok::Comma) {
                        self.pos += 1;
                        values.push(self.literal()?);
                    }
                    self.expect(Tok::RParen)?;
                    if values.len() > crate::graph::MAX_FILTER_IN_VALUES {
                        return Err(invalid_filter(format!(
                            "the 'in' operator takes at most {} values; this one has {}",
                            crate::graph::MAX_FILTER_IN_VALUES,
                            values.len()
                        )));
                    }
                    Ok(Filter::In { prop, values })
                }
                Some(Tok::Ident(op)) => Err(invalid_filter(format!(
                    "the operator '{op}' is not supported"
                ))),
                other => Err(invalid_filter(format!(
                    "expected an operator, found {other:?}"
                ))),
            },
            other => Err(invalid_filter(format!("unexpected {other:?}"))),
        }
    }
}

/// Parses a `$filter` expression.
pub fn parse_filter(s: &str) -> ApiResult<Filter> {
    if s.len() > 8192 {
        return Err(invalid_filter("the expression is too long"));
    }
    let toks = tokenize(s)?;
    if toks.is_empty() {
        return Err(invalid_filter("the expression is empty"));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let f = p.or()?;
    if p.pos != p.toks.len() {
        return Err(invalid_filter(format!(
            "unexpected {:?}",
            p.toks.get(p.pos)
        )));
    }
    Ok(f)
}

fn validate_filter(f: &Filter, spec: &QuerySpec) -> ApiResult<()> {
    let check = |p: &str| {
        if spec.filter.contains(&p) {
            Ok(())
        } else {
            Err(ApiError::bad_request(format!(
                "Invalid filter clause: filtering on the property '{p}' of microsoft.graph.{} is not supported.",
                spec.type_name
            )))
        }
    };
    match f {
        Filter::And(a, b) | Filter::Or(a, b) => {
            validate_filter(a, spec)?;
            validate_filter(b, spec)
        }
        Filter::Not(a) => validate_filter(a, spec),
        Filter::Cmp { prop, .. } | Filter::In { prop, .. } | Filter::StartsWith { prop, .. } => {
            check(prop)
        }
        Filter::IsOf { prop, type_name } => {
            if !spec.isof || prop != "principal" {
                return Err(invalid_filter("isof is supported only on principal"));
            }
            match crate::graph::odata_type_name(type_name) {
                "user" | "group" | "servicePrincipal" => Ok(()),
                other => Err(invalid_filter(format!("unknown type '{other}'"))),
            }
        }
    }
}

/// Every `prop eq 'value'` that must hold (the conjunction at the top level), for mandatory filters.
pub fn required_eq<'a>(f: &'a Filter, out: &mut Vec<(&'a str, &'a Literal)>) {
    match f {
        Filter::And(a, b) => {
            required_eq(a, out);
            required_eq(b, out);
        }
        Filter::Cmp {
            prop,
            ne: false,
            value,
        } => out.push((prop, value)),
        _ => {}
    }
}

fn lit_matches(v: Option<&Value>, l: &Literal) -> bool {
    match (v, l) {
        (None | Some(Value::Null), Literal::Null) => true,
        (Some(Value::String(s)), Literal::Str(x)) => s.eq_ignore_ascii_case(x),
        (Some(Value::Bool(b)), Literal::Bool(x)) => b == x,
        (Some(Value::Number(n)), Literal::Num(x)) => n.as_f64() == Some(*x),
        _ => false,
    }
}

/// Evaluates a filter on an entity. `principal_type` answers `isof(principal, ...)`.
pub fn eval(f: &Filter, v: &Value, principal_type: Option<&str>) -> bool {
    match f {
        Filter::And(a, b) => eval(a, v, principal_type) && eval(b, v, principal_type),
        Filter::Or(a, b) => eval(a, v, principal_type) || eval(b, v, principal_type),
        Filter::Not(a) => !eval(a, v, principal_type),
        Filter::Cmp { prop, ne, value } => lit_matches(v.get(prop), value) != *ne,
        Filter::In { prop, values } => values.iter().any(|l| lit_matches(v.get(prop), l)),
        Filter::StartsWith { prop, value } => v
            .get(prop)
            .and_then(Value::as_str)
            .is_some_and(|s| s.to_lowercase().starts_with(&value.to_lowercase())),
        Filter::IsOf { type_name, .. } => {
            principal_type == Some(crate::graph::odata_type_name(type_name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SPEC: QuerySpec = QuerySpec {
        collection: true,
        filter: &["scopeId", "scopeType", "roleDefinitionId", "principalId"],
        isof: true,
        props: &["id", "scopeId"],
        nav: &["rules", "policy"],
        type_name: "unifiedRoleManagementPolicy",
    };

    #[test]
    fn parses_the_filters_pimctl_sends() {
        let q = parse(
            "$filter=scopeId%20eq%20'/'%20and%20scopeType%20eq%20'DirectoryRole'&$expand=policy($expand=rules)&$top=5",
            &SPEC,
        )
        .unwrap();
        let f = q.filter.unwrap();
        let mut req = vec![];
        required_eq(&f, &mut req);
        assert_eq!(req.len(), 2);
        assert!(eval(
            &f,
            &json!({"scopeId": "/", "scopeType": "directoryrole"}),
            None
        ));
        assert!(!eval(
            &f,
            &json!({"scopeId": "x", "scopeType": "DirectoryRole"}),
            None
        ));
        assert_eq!(q.expand[0].expand[0].name, "rules");
        assert_eq!(q.top, Some(5));
        let f = parse_filter("principalId in ('a', 'b') and not (roleDefinitionId eq 'it''s')")
            .unwrap();
        assert!(eval(
            &f,
            &json!({"principalId": "B", "roleDefinitionId": "x"}),
            None
        ));
        let f = parse_filter("isof(principal,'microsoft.graph.user')").unwrap();
        assert!(eval(&f, &json!({}), Some("user")));
    }

    #[test]
    fn rejects_what_it_does_not_support() {
        for bad in [
            "$filter=displayName eq 'x'",
            "$filter=scopeId gt '/'",
            "$filter=scopeId eq",
            "$filter=(scopeId eq '/'",
            "$filter=contains(scopeId,'/')",
            "$orderby=id",
            "$top=1000",
            "$top=-1",
            "$top=abc",
            "$skiptoken=zzz",
            "$expand=owners",
            "$select=nope",
            "$expand=rules(",
        ] {
            assert!(parse(bad, &SPEC).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn skiptokens_round_trip_and_context_projection() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(42)).unwrap(), 42);
        let e = parse_expand("rules($select=id)").unwrap();
        assert_eq!(projection(None, &e), "(rules(id))");
        let e = parse_expand("policy($expand=rules)").unwrap();
        assert_eq!(projection(None, &e), "(policy(rules()))");
        let e = parse_expand("roleDefinition,principal").unwrap();
        let s = vec!["principalId".to_string()];
        assert_eq!(
            projection(Some(&s), &e),
            "(principalId,roleDefinition(),principal())"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_query_strings_never_panic(q in ".{0,200}", f in "[a-zA-Z0-9 ()',.$/=&%-]{0,120}") {
            let _ = parse(&q, &SPEC);
            let _ = parse(&format!("$filter={f}&$expand={f}&$select={f}"), &SPEC);
            if let Ok(filter) = parse_filter(&f) {
                let _ = eval(&filter, &json!({"scopeId": "/"}), Some("user"));
            }
        }
    }
}
