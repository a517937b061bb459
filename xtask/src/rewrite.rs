//! Rewrites of the generated syntax tree, for what no generator setting controls.

use syn::visit_mut::{self, VisitMut};

/// Removes the `api-version` header progenitor adds to every request, and its place in the
/// header map's capacity: a map left empty then allocates nothing.
///
/// Progenitor sends the spec's `info.version` (here `0.0.3665`) as `api-version`. The official
/// SDKs send no such header, and ASP.NET services can read `api-version` to pick an API version,
/// so a value the service does not know could turn every call into a 400.
pub fn drop_api_version_header(file: &mut syn::File) -> usize {
    let mut visitor = DropApiVersion(0);
    visitor.visit_file_mut(file);
    visitor.0
}

struct DropApiVersion(usize);

impl VisitMut for DropApiVersion {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|stmt| !appends_api_version(stmt));
        let dropped = before - block.stmts.len();
        if dropped > 0 {
            for stmt in &mut block.stmts {
                shrink_header_capacity(stmt, dropped);
            }
        }
        self.0 += dropped;
        visit_mut::visit_block_mut(self, block);
    }
}

/// `let mut header_map = HeaderMap::with_capacity(N)` becomes `N - dropped`.
fn shrink_header_capacity(stmt: &mut syn::Stmt, dropped: usize) {
    let syn::Stmt::Local(local) = stmt else {
        return;
    };
    if compact(&local.pat) != "mutheader_map" {
        return;
    }
    let Some(init) = &mut local.init else {
        return;
    };
    let syn::Expr::Call(call) = &mut *init.expr else {
        return;
    };
    if !compact(&call.func).ends_with("HeaderMap::with_capacity") {
        return;
    }
    if let Some(syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Int(n),
        ..
    })) = call.args.first_mut()
        && let Ok(capacity) = n.base10_parse::<usize>()
    {
        let left = capacity.saturating_sub(dropped);
        *n = syn::LitInt::new(&format!("{left}usize"), n.span());
    }
}

fn appends_api_version(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
        return false;
    };
    call.method == "append"
        && call
            .args
            .first()
            .is_some_and(|name| quote_free_text(name).contains("from_static(\"api-version\")"))
}

fn quote_free_text(expr: &syn::Expr) -> String {
    use quote::ToTokens;
    expr.to_token_stream().to_string().replace(' ', "")
}

/// Encodes every path parameter with the client crate's `segment::encode` instead of
/// progenitor's `encode_path`, and drops the then unused imports. Returns how many parameters
/// it changed.
///
/// `encode_path` leaves `.` and `\\` as they are: the URL parser then removes `..` segments and
/// reads `\\` as `/`, sending a call to another operation. `segment::encode` percent-encodes
/// every byte outside RFC 3986's unreserved set and refuses empty, `.` and `..` values, naming
/// the parameter.
pub fn path_segments(file: &mut syn::File) -> Result<usize, String> {
    let mut visitor = PathSegments::default();
    visitor.visit_file_mut(file);
    if let Some(error) = visitor.error {
        return Err(error);
    }
    Ok(visitor.changed)
}

#[derive(Default)]
struct PathSegments {
    changed: usize,
    error: Option<String>,
}

impl VisitMut for PathSegments {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        use syn::punctuated::Punctuated;
        if !mac.path.is_ident("format") || !mac.tokens.to_string().contains("encode_path") {
            return;
        }
        let args =
            match mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated) {
                Ok(args) => args,
                Err(e) => {
                    self.error = Some(format!("a format! with encode_path does not parse: {e}"));
                    return;
                }
            };
        let args = args.into_iter().map(|arg| match encoded_parameter(&arg) {
            Some(name) => {
                self.changed += 1;
                let ident = syn::Ident::new(&name, proc_macro2::Span::call_site());
                syn::parse_quote!(crate::segment::encode(#name, &#ident.to_string())?)
            }
            None => arg,
        });
        mac.tokens = quote::quote!(#(#args),*);
        if mac.tokens.to_string().contains("encode_path") {
            self.error = Some(format!(
                "encode_path in an unexpected shape: {}; progenitor changed",
                mac.tokens
            ));
        }
    }

    fn visit_use_tree_mut(&mut self, tree: &mut syn::UseTree) {
        if let syn::UseTree::Group(group) = tree {
            group.items = std::mem::take(&mut group.items)
                .into_iter()
                .filter(|item| !matches!(item, syn::UseTree::Name(n) if n.ident == "encode_path"))
                .collect();
        }
        visit_mut::visit_use_tree_mut(self, tree);
    }
}

/// `x` of `encode_path(&x.to_string())`.
fn encoded_parameter(expr: &syn::Expr) -> Option<String> {
    let syn::Expr::Call(call) = expr else {
        return None;
    };
    if compact(&call.func) != "encode_path" || call.args.len() != 1 {
        return None;
    }
    let arg = compact(&call.args[0]);
    let name = arg.strip_prefix('&')?.strip_suffix(".to_string()")?;
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| name.to_owned())
}

/// The items of the generated module `name` (`builder`, `types`), wherever it stands.
fn module_items<'a>(
    file: &'a mut syn::File,
    name: &'a str,
) -> impl Iterator<Item = &'a mut syn::Item> + 'a {
    file.items
        .iter_mut()
        .filter_map(move |item| module_content(item, name))
        .flat_map(|items| items.iter_mut())
}

/// The items inside `item` when it is the module `name` with a body.
fn module_content<'a>(item: &'a mut syn::Item, name: &str) -> Option<&'a mut Vec<syn::Item>> {
    match item {
        syn::Item::Mod(module) if module.ident == name => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    }
}

/// Makes every builder's `send()` build its URL with the client crate's `base_url::join`:
/// the operation's path below the client's base URL, parsed once per client, instead of
/// `format!("{}/api/...", client.baseurl, ...)` parsed whole, scheme and host included, on
/// every call. Returns how many builders it changed; run before [`add_request`], which
/// copies `send()`'s statements.
///
/// A path without parameters is the same URL on every call: it is joined once per client
/// (`base_url::join_fixed`), given the place in `ids` (the table's order) of the id whose
/// builder it is.
pub fn join_base_url(file: &mut syn::File, ids: &[String]) -> Result<usize, String> {
    use syn::punctuated::Punctuated;
    let mut changed = 0;
    for item in module_items(file, "builder") {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let builder = compact(&block.self_ty);
        // The builder of operation `id` is named `id` in upper camel case.
        let at = match &*block.self_ty {
            syn::Type::Path(ty) => ty.path.segments.last().and_then(|last| {
                let name = last.ident.to_string();
                ids.iter()
                    .position(|id| heck::ToUpperCamelCase::to_upper_camel_case(id.as_str()) == name)
            }),
            _ => None,
        };
        for impl_item in &mut block.items {
            let syn::ImplItem::Fn(send) = impl_item else {
                continue;
            };
            if send.sig.ident != "send" {
                continue;
            }
            let url = send.block.stmts.iter_mut().find_map(|stmt| match stmt {
                syn::Stmt::Local(local) if compact(&local.pat) == "url" => local.init.as_mut(),
                _ => None,
            });
            let shape = || {
                format!(
                    "{builder}::send does not format its URL from `client.baseurl`: progenitor changed shape"
                )
            };
            let init = url.ok_or_else(shape)?;
            let syn::Expr::Macro(mac) = &*init.expr else {
                return Err(shape());
            };
            let args = mac
                .mac
                .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
                .map_err(|e| format!("{builder}::send's URL format! does not parse: {e}"))?;
            let mut args = args.into_iter();
            let (Some(syn::Expr::Lit(template)), Some(base)) = (args.next(), args.next()) else {
                return Err(shape());
            };
            let syn::Lit::Str(template) = template.lit else {
                return Err(shape());
            };
            let Some(path) = template.value().strip_prefix("{}").map(str::to_owned) else {
                return Err(shape());
            };
            if compact(&base) != "client.baseurl" || !path.starts_with('/') {
                return Err(shape());
            }
            let rest: Vec<syn::Expr> = args.collect();
            let path = syn::LitStr::new(&path, template.span());
            *init.expr = match (rest.is_empty(), at) {
                (true, Some(at)) => syn::parse_quote! {
                    crate::base_url::join_fixed(client, #at, #path).map_err(Error::InvalidRequest)?
                },
                (true, None) => syn::parse_quote! {
                    crate::base_url::join(client, #path).map_err(Error::InvalidRequest)?
                },
                (false, _) => syn::parse_quote! {
                    crate::base_url::join(client, &format!(#path, #(#rest),*)).map_err(Error::InvalidRequest)?
                },
            };
            changed += 1;
        }
    }
    if changed == 0 {
        return Err(
            "found no operation builder whose URL to build from the parsed base URL".into(),
        );
    }
    Ok(changed)
}

/// Writes every query parameter with the client crate's `QueryExt::query_param`:
/// `.query(&progenitor_client::QueryParam::new("limit", &limit))` becomes
/// `.query_param("limit", &limit)`, and the builders' module imports the trait. It writes the
/// value as a struct field under a `&'static str` name (progenitor's writes a `(name, value)`
/// pair, whose name serde_urlencoded copies into a new `String` on every call), and leaves the
/// request alone when the value is absent. Every name must be a string literal. Returns how
/// many parameters it changed.
pub fn query_params(file: &mut syn::File) -> Result<usize, String> {
    use syn::visit_mut::{self, VisitMut};

    struct Names {
        changed: usize,
        problem: Option<String>,
    }
    impl VisitMut for Names {
        fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
            visit_mut::visit_expr_method_call_mut(self, call);
            if call.method != "query" || call.args.len() != 1 {
                return;
            }
            let Some(syn::Expr::Reference(reference)) = call.args.first() else {
                return;
            };
            let syn::Expr::Call(param) = &*reference.expr else {
                return;
            };
            if compact(&param.func) != "progenitor_client::QueryParam::new" {
                return;
            }
            let args: Vec<syn::Expr> = param.args.iter().cloned().collect();
            let [name, value] = args.as_slice() else {
                self.problem = Some(format!(
                    "a query parameter is not (name, value): {}",
                    compact(call)
                ));
                return;
            };
            if !matches!(
                name,
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(_),
                    ..
                })
            ) {
                self.problem = Some(format!(
                    "a query parameter's name is not a literal: {}",
                    compact(call)
                ));
                return;
            }
            call.method = syn::Ident::new("query_param", call.method.span());
            call.args = syn::parse_quote!(#name, #value);
            self.changed += 1;
        }
    }
    let mut names = Names {
        changed: 0,
        problem: None,
    };
    names.visit_file_mut(file);
    if let Some(problem) = names.problem {
        return Err(problem);
    }
    if compact(file).contains("progenitor_client::QueryParam") {
        return Err("a query parameter is written other than with `.query(&QueryParam::new(..))`: progenitor changed shape".into());
    }
    if names.changed > 0 {
        let builder = file
            .items
            .iter_mut()
            .find_map(|item| module_content(item, "builder"))
            .ok_or("no `builder` module for the query parameters' trait")?;
        builder.insert(
            0,
            syn::parse_quote!(
                use crate::query::QueryExt as _;
            ),
        );
    }
    Ok(names.changed)
}

/// Starts every builder's request with the client crate's `request::start` instead of
/// `client.client.get(url)` (and `put`, `post`, ...): the same request, its header map made
/// once with room for every header it will carry. reqwest's starts empty, allocates room for
/// six at the first header and grows again (a second allocation and a rehash) when a call
/// path adds its own. Returns how many requests it changed; run before [`add_request`], which
/// copies `send()`'s statements.
pub fn start_requests(file: &mut syn::File) -> Result<usize, String> {
    use syn::visit_mut::{self, VisitMut};

    struct Starts {
        changed: usize,
    }
    impl VisitMut for Starts {
        fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
            visit_mut::visit_expr_mut(self, expr);
            let syn::Expr::MethodCall(call) = expr else {
                return;
            };
            if compact(&call.receiver) != "client.client" || call.args.len() != 1 {
                return;
            }
            let method = match call.method.to_string().as_str() {
                "get" => quote::quote!(GET),
                "put" => quote::quote!(PUT),
                "post" => quote::quote!(POST),
                "delete" => quote::quote!(DELETE),
                "patch" => quote::quote!(PATCH),
                "head" => quote::quote!(HEAD),
                _ => return,
            };
            let url = &call.args[0];
            *expr = syn::parse_quote!(
                crate::request::start(&client.client, ::reqwest::Method::#method, #url)
            );
            self.changed += 1;
        }
    }
    let mut starts = Starts { changed: 0 };
    for item in module_items(file, "builder") {
        starts.visit_item_mut(item);
    }
    if starts.changed == 0 {
        return Err(
            "found no request started with `client.client.<method>(url)`: progenitor changed shape"
                .into(),
        );
    }
    Ok(starts.changed)
}

/// Adds `request(&self) -> Result<reqwest::Request, Error>` to every operation builder: the
/// request `send()` would make, built but not sent, the builder kept. Returns how many
/// builders got one.
///
/// The SDK runs its own call path (deadline, token, retries decided per operation) and needs
/// the request itself; progenitor's `send()` hands it only to hooks that cannot see which call
/// it belongs to. The new method is `send()`'s own statements up to the built request, so the
/// two cannot disagree on the URL, query, headers or body. It borrows the builder, so that
/// each attempt of a call is built from it afresh instead of a copy of the first request
/// being kept and copied again per attempt.
///
/// `send()` takes each parameter out of the builder by value; here each is read by reference
/// (see [`by_reference`]).
pub fn add_request(file: &mut syn::File) -> Result<usize, String> {
    let mut added = 0;
    for item in module_items(file, "builder") {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let Some(send) = block.items.iter().find_map(|i| match i {
            syn::ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
            _ => None,
        }) else {
            continue;
        };
        let builder = compact(&block.self_ty);
        let end = send
            .block
            .stmts
            .iter()
            .position(|s| matches!(s, syn::Stmt::Local(l) if compact(&l.pat) == "info"))
            .ok_or_else(|| {
                format!("{builder}::send has no `let info`: progenitor changed shape")
            })?;
        let mut stmts = send.block.stmts[..end].to_vec();
        let built = stmts.last().is_some_and(
            |s| matches!(s, syn::Stmt::Local(l) if compact(&l.pat).ends_with("request")),
        );
        if !built || stmts.iter().any(|s| compact(s).contains(".await")) {
            return Err(format!(
                "{builder}::send does not build its request before `let info` without awaiting: progenitor changed shape"
            ));
        }
        by_reference(&mut stmts).map_err(|e| format!("{builder}::send: {e}"))?;
        stmts.push(syn::parse_quote!(return Ok(request);));
        let method: syn::ImplItemFn = syn::parse_quote! {
            /// Builds the request `send()` would make, without sending it; the builder is kept
            /// and can build it again.
            pub fn request(&self) -> Result<::reqwest::Request, Error> {
                #(#stmts)*
            }
        };
        block.items.push(syn::ImplItem::Fn(method));
        added += 1;
    }
    if added == 0 {
        return Err("found no operation builder to add `request` to".into());
    }
    Ok(added)
}

/// Turns `send()`'s statements, which destructure `self` and take each parameter's
/// `Result<T, String>` by value, into ones that read a borrowed builder. With `self` a
/// reference the destructuring binds references; then a parameter checked as it is
/// (`let id = id.map_err(Error::InvalidRequest)?;`) is read through `as_ref()`, its error
/// message copied, and one converted first (a body's builder: `body.and_then(...)`) is
/// converted from a copy. Any other use of a parameter before it is checked is refused.
fn by_reference(stmts: &mut [syn::Stmt]) -> Result<(), String> {
    let Some(syn::Stmt::Local(destructure)) = stmts.first() else {
        return Err("does not start with `let Self { .. } = self`".into());
    };
    let syn::Pat::Struct(fields) = &destructure.pat else {
        return Err("does not start with `let Self { .. } = self`".into());
    };
    let parameters: Vec<String> = fields
        .fields
        .iter()
        .map(|f| compact(&f.member))
        .filter(|name| name != "client")
        .collect();
    let mut checked = 0;
    for stmt in stmts.iter_mut().skip(1) {
        let syn::Stmt::Local(local) = stmt else {
            continue;
        };
        let name = compact(&local.pat);
        if !parameters.contains(&name) {
            continue;
        }
        let Some(init) = local.init.as_mut() else {
            return Err(format!("`let {name};` without a value"));
        };
        let first = first_call(&mut init.expr)
            .filter(|call| compact(&call.receiver) == name)
            .ok_or_else(|| format!("`{name}` is not read as `{name}.method(..)`"))?;
        if first.method == "map_err" && compact(&first.args) == "Error::InvalidRequest" {
            let receiver = &first.receiver;
            *first.receiver = syn::parse_quote!(#receiver.as_ref());
            first.args = syn::parse_quote!(|e| Error::InvalidRequest(e.clone()));
        } else {
            let receiver = &first.receiver;
            *first.receiver = syn::parse_quote!(#receiver.clone());
        }
        checked += 1;
    }
    if checked != parameters.len() {
        return Err(format!(
            "{} of the parameters {parameters:?} are checked before use",
            checked
        ));
    }
    Ok(())
}

/// The innermost method call of a chain (`x.a().b()?` gives `x.a()`).
fn first_call(expr: &mut syn::Expr) -> Option<&mut syn::ExprMethodCall> {
    match expr {
        syn::Expr::Try(t) => first_call(&mut t.expr),
        syn::Expr::MethodCall(call) => {
            if matches!(*call.receiver, syn::Expr::Path(_)) {
                Some(call)
            } else {
                first_call(&mut call.receiver)
            }
        }
        _ => None,
    }
}

/// Makes lists of records in answers decode one record at a time: a record that does not
/// decode is left out instead of failing the list and the whole answer. Applies to fields of
/// the generated types named in `records` (the schemas only answers use: a request body the
/// user wrote must fail loudly, never lose an element). Returns how many fields it changed.
pub fn lenient_records(
    file: &mut syn::File,
    records: &std::collections::BTreeSet<String>,
) -> usize {
    let mut changed = 0;
    for item in module_items(file, "types") {
        let syn::Item::Struct(record) = item else {
            continue;
        };
        let name = record.ident.to_string();
        if !records
            .iter()
            .any(|r| heck::ToUpperCamelCase::to_upper_camel_case(r.as_str()) == name)
        {
            continue;
        }
        for field in record.fields.iter_mut() {
            let ty = compact(&field.ty);
            let with = if list_of_records(&ty, "::std::vec::Vec<") {
                "crate::lenient::records"
            } else if list_of_records(&ty, "::std::option::Option<::std::vec::Vec<") {
                "crate::lenient::optional_records"
            } else {
                continue;
            };
            // With `deserialize_with`, serde no longer treats a missing `Option` as `None`.
            let has_default = field.attrs.iter().any(|a| {
                let text = compact(a);
                text.starts_with("#[serde(") && text.contains("default")
            });
            if with.ends_with("optional_records") && !has_default {
                field.attrs.push(syn::parse_quote!(#[serde(default)]));
            }
            field
                .attrs
                .push(syn::parse_quote!(#[serde(deserialize_with = #with)]));
            changed += 1;
        }
    }
    changed
}

/// Marks every record of `types` (a struct with named fields) `#[non_exhaustive]`. Returns how
/// many it marked.
///
/// Outside the client crate such a record can then be made only with its builder
/// (`types::X::builder()`) or decoded, never written as a struct literal nor destructured
/// without `..`: a property the service adds becomes a field and a setter without breaking any
/// caller, so an added optional property is a minor release, not a major one.
pub fn non_exhaustive_types(file: &mut syn::File) -> usize {
    let mut marked = 0;
    for item in module_items(file, "types") {
        let syn::Item::Struct(record) = item else {
            continue;
        };
        let named = matches!(record.fields, syn::Fields::Named(_));
        if named
            && !record
                .attrs
                .iter()
                .any(|a| a.path().is_ident("non_exhaustive"))
        {
            record.attrs.push(syn::parse_quote!(#[non_exhaustive]));
            marked += 1;
        }
    }
    marked
}

/// Whether `ty` is `prefix` around a generated record type: named in upper camel case without a
/// path, unlike `::std::string::String`, `i32` or `::chrono::DateTime`.
fn list_of_records(ty: &str, prefix: &str) -> bool {
    ty.strip_prefix(prefix)
        .and_then(|inner| inner.chars().next())
        .is_some_and(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_parameters_are_encoded_by_the_client_crate() {
        let mut file: syn::File = syn::parse_str(
            r#"use progenitor_client::{encode_path, ClientHooks};
            fn f() {
                let url = format!("{}/api/roles/{}/users/{}", client.baseurl, encode_path(&id.to_string()), encode_path(&user_id.to_string()),);
                let other = format!("{}", x);
            }"#,
        )
        .unwrap();
        assert_eq!(super::path_segments(&mut file), Ok(2));
        let text = prettyplease::unparse(&file);
        assert!(!text.contains("encode_path"), "{text}");
        assert!(
            text.contains("use progenitor_client::{ClientHooks};")
                || text.contains("use progenitor_client::ClientHooks"),
            "{text}"
        );
        assert!(
            text.replace([' ', '\n'], "")
                .contains(r#"crate::segment::encode("user_id",&user_id.to_string())?"#),
            "{text}"
        );
        let mut odd: syn::File =
            syn::parse_str(r#"fn f() { let u = format!("{}", encode_path(&id)); }"#).unwrap();
        assert!(super::path_segments(&mut odd).is_err());
    }

    #[test]
    fn removes_only_the_api_version_append() {
        let mut file: syn::File = syn::parse_str(
            r#"fn f() {
                let mut header_map = HeaderMap::with_capacity(2usize);
                header_map.append(HeaderName::from_static("api-version"), HeaderValue::from_static(V));
                header_map.append(HeaderName::from_static("x-other"), value);
            }"#,
        )
        .unwrap();
        assert_eq!(super::drop_api_version_header(&mut file), 1);
        let text = prettyplease::unparse(&file);
        assert!(!text.contains("api-version"), "{text}");
        assert!(text.contains("x-other"), "{text}");
        assert!(text.contains("HeaderMap::with_capacity(1usize)"), "{text}");
    }

    #[test]
    fn lists_of_records_in_answer_types_decode_leniently() {
        let mut file: syn::File = syn::parse_str(
            r#"pub mod types {
                pub struct UserList {
                    pub users: ::std::vec::Vec<User>,
                    #[serde(default)]
                    pub roles: ::std::option::Option<::std::vec::Vec<Role>>,
                    pub links: ::std::option::Option<::std::vec::Vec<Link>>,
                    pub tags: ::std::vec::Vec<::std::string::String>,
                }
                pub struct NewUsers { pub users: ::std::vec::Vec<User> }
            }"#,
        )
        .unwrap();
        let records = ["UserList".to_owned()].into_iter().collect();
        assert_eq!(super::lenient_records(&mut file, &records), 3);
        let text = prettyplease::unparse(&file);
        assert!(
            text.contains("deserialize_with = \"crate::lenient::records\""),
            "{text}"
        );
        assert!(text.contains("crate::lenient::optional_records"), "{text}");
        assert_eq!(
            text.matches("deserialize_with").count(),
            3,
            "request types and strings untouched:\n{text}"
        );
        assert_eq!(
            text.matches("default").count(),
            2,
            "an optional list without a default gets one:\n{text}"
        );
    }

    #[test]
    fn records_of_types_become_non_exhaustive_once_and_nothing_else_does() {
        let mut file: syn::File = syn::parse_str(
            r#"pub mod types {
                pub struct User { pub id: ::std::string::String }
                pub struct Code(::std::string::String);
                pub mod builder { pub struct User { id: ::std::string::String } }
            }
            pub mod builder { pub struct GetUser<'a> { client: &'a Client } }"#,
        )
        .unwrap();
        assert_eq!(super::non_exhaustive_types(&mut file), 1);
        assert_eq!(
            super::non_exhaustive_types(&mut file),
            0,
            "a second run adds nothing"
        );
        let text = prettyplease::unparse(&file);
        assert_eq!(text.matches("#[non_exhaustive]").count(), 1, "{text}");
        assert!(
            text.contains("#[non_exhaustive]\n    pub struct User {"),
            "{text}"
        );
    }

    #[test]
    fn urls_are_joined_to_the_parsed_base_url() {
        let mut file: syn::File = syn::parse_str(
            r#"pub mod builder {
                impl<'a> GetThing<'a> {
                    pub async fn send(self) -> Result<ResponseValue<()>, Error<ByteStream>> {
                        let Self { client, id } = self;
                        let url = format!("{}/api/things/{}", client.baseurl, crate::segment::encode("id", &id.to_string())?);
                        let mut request = client.client.get(url).build()?;
                        todo!()
                    }
                }
            }"#,
        )
        .unwrap();
        assert_eq!(super::join_base_url(&mut file, &[]), Ok(1));
        let text = super::compact(&file);
        assert!(
            text.contains(r#"leturl=crate::base_url::join(client,&format!("/api/things/{}",crate::segment::encode("id",&id.to_string())?)).map_err(Error::InvalidRequest)?;"#),
            "{text}"
        );
        let mut fixed: syn::File = syn::parse_str(
            r#"pub mod builder {
                impl<'a> ListThings<'a> {
                    pub async fn send(self) -> Result<ResponseValue<()>, Error<ByteStream>> {
                        let url = format!("{}/api/things", client.baseurl,);
                        let info = OperationInfo { operation_id: "list_things" };
                        todo!()
                    }
                }
            }"#,
        )
        .unwrap();
        let ids = ["get_thing".to_owned(), "list_things".to_owned()];
        assert_eq!(super::join_base_url(&mut fixed, &ids), Ok(1));
        let text = super::compact(&fixed);
        assert!(
            text.contains(r#"leturl=crate::base_url::join_fixed(client,1usize,"/api/things").map_err(Error::InvalidRequest)?;"#),
            "{text}"
        );
        let mut other: syn::File = syn::parse_str(
            r#"pub mod builder { impl X { fn send(self) { let url = format!("{}/a", elsewhere); } } }"#,
        )
        .unwrap();
        assert!(
            super::join_base_url(&mut other, &[])
                .unwrap_err()
                .contains("X::send")
        );
    }

    #[test]
    fn query_parameters_are_written_under_static_names() {
        let mut file: syn::File = syn::parse_str(
            r#"pub mod builder { impl X { fn send(self) {
                let r = client.client.get(url)
                    .query(&progenitor_client::QueryParam::new("limit", &limit))
                    .query(&progenitor_client::QueryParam::new("id", &id));
            } } }"#,
        )
        .unwrap();
        assert_eq!(super::query_params(&mut file), Ok(2));
        let text = super::compact(&file);
        assert!(
            text.contains(
                r#"client.client.get(url).query_param("limit",&limit).query_param("id",&id)"#
            ),
            "{text}"
        );
        assert!(
            text.starts_with("pubmodbuilder{usecrate::query::QueryExtas_;"),
            "{text}"
        );
        let mut named: syn::File = syn::parse_str(
            r#"pub mod builder { fn f() { b.query(&progenitor_client::QueryParam::new(name, &v)); } }"#,
        )
        .unwrap();
        assert!(
            super::query_params(&mut named)
                .unwrap_err()
                .contains("not a literal")
        );
        let mut elsewhere: syn::File = syn::parse_str(
            r#"pub mod builder { fn f() { let p = progenitor_client::QueryParam::new("a", &v); } }"#,
        )
        .unwrap();
        assert!(
            super::query_params(&mut elsewhere)
                .unwrap_err()
                .contains("changed shape")
        );
    }

    #[test]
    fn requests_start_with_room_for_their_headers() {
        let mut file: syn::File = syn::parse_str(
            r#"pub mod builder { impl X { fn send(self) {
                let a = client.client.get(url).query_param("limit", &limit).build()?;
                let b = client.client.delete(url).build()?;
            } } }"#,
        )
        .unwrap();
        assert_eq!(super::start_requests(&mut file), Ok(2));
        let text = super::compact(&file);
        assert!(
            text.contains(r#"leta=crate::request::start(&client.client,::reqwest::Method::GET,url).query_param("limit",&limit).build()?;"#),
            "{text}"
        );
        assert!(
            text.contains(r#"letb=crate::request::start(&client.client,::reqwest::Method::DELETE,url).build()?;"#),
            "{text}"
        );
        let mut none: syn::File =
            syn::parse_str(r#"pub mod builder { fn f() { reqwest::Client::new().get(url); } }"#)
                .unwrap();
        assert!(
            super::start_requests(&mut none)
                .unwrap_err()
                .contains("changed shape")
        );
    }

    #[test]
    fn request_is_send_up_to_the_built_request_reading_the_builder_by_reference() {
        let mut file: syn::File = syn::parse_str(
            r#"pub mod builder {
                impl<'a> PutThing<'a> {
                    pub async fn send(self) -> Result<ResponseValue<()>, Error<ByteStream>> {
                        let Self { client, id, body } = self;
                        let id = id.map_err(Error::InvalidRequest)?;
                        let body = body
                            .and_then(|v| types::Thing::try_from(v).map_err(|e| e.to_string()))
                            .map_err(Error::InvalidRequest)?;
                        let url = format!("{}/api/things/{}", client.baseurl, id);
                        let mut request = client.client.put(url).json(&body).build()?;
                        let info = OperationInfo { operation_id: "put_thing" };
                        client.pre(&mut request, &info).await?;
                        todo!()
                    }
                }
            }"#,
        )
        .unwrap();
        assert_eq!(super::add_request(&mut file), Ok(1));
        let text = super::compact(&file);
        let request = &text[text.find("fnrequest(&self)").unwrap()..];
        assert!(
            request.contains("letid=id.as_ref().map_err(|e|Error::InvalidRequest(e.clone()))?;"),
            "{request}"
        );
        assert!(
            request.contains("letbody=body.clone().and_then("),
            "{request}"
        );
        assert!(
            request.contains("client.client.put(url).json(&body).build()?;"),
            "{request}"
        );
        assert!(request.contains("returnOk(request);"), "{request}");
        assert!(!request.contains("pre("), "{request}");
        let mut empty: syn::File = syn::parse_str("mod builder {}").unwrap();
        assert!(super::add_request(&mut empty).is_err());
        let mut unchecked: syn::File = syn::parse_str(
            r#"pub mod builder { impl X { async fn send(self) {
                let Self { client, id } = self;
                let mut request = client.client.get(id).build()?;
                let info = OperationInfo { operation_id: "x" };
            } } }"#,
        )
        .unwrap();
        assert!(
            super::add_request(&mut unchecked)
                .unwrap_err()
                .contains("checked before use")
        );
    }
}

/// What [`cli`] changed; each count must be non-zero, or progenitor's output has changed shape.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CliRewrites {
    pub error_arms: usize,
    pub body_readers: usize,
    pub body_help: usize,
    pub template_flags: usize,
    pub schema_bounds: usize,
    /// List-valued parameters (not every spec has one, so zero is fine).
    pub list_args: usize,
    /// `Client` as the type the commands run on, made `IdentityClient`.
    pub client_types: usize,
    /// `self.client.op()`, made the SDK's builder.
    pub builders: usize,
    /// `request.send()`, made `send_response()`.
    pub sends: usize,
    /// `ResponseValue<T>` in the output hooks, made the SDK's `Response<T>`, which
    /// `send_response()` returns.
    pub response_types: usize,
}

/// The help of `--json-body` once [`cli`] has run.
pub const JSON_BODY_HELP: &str =
    "The whole JSON body: a file path, `-` for standard input, or the JSON itself";

/// Fixes progenitor's generated CLI where it falls short:
///
/// - an error answer with an untyped body reaches `todo!()`: it becomes an `anyhow` error
///   carrying the client error, for the CLI to explain and map to an exit code;
/// - `--json-body` reads only a file: it goes through `crate::json_body::read`, which also
///   takes `-` (standard input) and inline JSON, and its help says so;
/// - `--json-body-template` is parsed but never used, with the help text "XXX": removed;
/// - output hooks require `schemars::JsonSchema`, which the client's types do not derive and
///   the CLI does not need (it prints JSON): the bound is dropped;
/// - a list-valued parameter gets `value_parser!(Vec<T>)`, which clap cannot build: it becomes
///   a repeatable option of `T`, read back with `get_many`;
/// - commands run on the bare generated client: they run on the SDK's `IdentityClient`
///   instead, through the same builders every SDK user gets (`operations::<Op>::new`, which
///   also covers operations whose client method is typed), and print what
///   `send_response()` returns (the SDK's `Response`, where progenitor has `ResponseValue`).
pub fn cli(file: &mut syn::File) -> Result<CliRewrites, String> {
    let mut visitor = CliFixes::default();
    visitor.visit_file_mut(file);
    // Named imports win over the client crate's glob import.
    file.items.insert(
        0,
        syn::parse_quote!(
            use finbourne_identity::operations as builder;
        ),
    );
    let counts = visitor.0;
    let text = prettyplease::unparse(file);
    if text.contains("todo!") {
        return Err(
            "the generated CLI still has a todo!() this xtask does not know how to replace".into(),
        );
    }
    let zero = [
        ("error arms", counts.error_arms),
        ("body readers", counts.body_readers),
        ("body help", counts.body_help),
        ("template flags", counts.template_flags),
        ("schema bounds", counts.schema_bounds),
        ("client types", counts.client_types),
        ("client builders", counts.builders),
        ("sends", counts.sends),
        ("response types", counts.response_types),
    ]
    .into_iter()
    .filter(|(_, n)| *n == 0)
    .map(|(what, _)| what)
    .collect::<Vec<_>>();
    if !zero.is_empty() {
        return Err(format!(
            "progenitor's CLI output changed shape: found no {} to rewrite",
            zero.join(", ")
        ));
    }
    Ok(counts)
}

#[derive(Default)]
struct CliFixes(CliRewrites);

fn compact(tokens: &impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

impl VisitMut for CliFixes {
    fn visit_type_mut(&mut self, ty: &mut syn::Type) {
        if compact(ty) == "Client" {
            *ty = syn::parse_quote!(finbourne_identity::IdentityClient);
            self.0.client_types += 1;
        }
        if let syn::Type::Path(path) = ty
            && path.qself.is_none()
            && path.path.segments.len() == 1
            && path.path.segments[0].ident == "ResponseValue"
        {
            let arguments = path.path.segments[0].arguments.clone();
            *ty = syn::parse_quote!(finbourne_identity::Response #arguments);
            self.0.response_types += 1;
        }
        visit_mut::visit_type_mut(self, ty);
    }

    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let syn::Expr::MethodCall(call) = expr
            && call.args.is_empty()
        {
            let receiver = compact(&call.receiver);
            if receiver == "self.client" {
                let name = quote::format_ident!(
                    "{}",
                    heck::ToUpperCamelCase::to_upper_camel_case(call.method.to_string().as_str())
                );
                *expr = syn::parse_quote!(builder::#name::new(&self.client));
                self.0.builders += 1;
                return;
            }
            if receiver == "request" && call.method == "send" {
                call.method = quote::format_ident!("send_response");
                self.0.sends += 1;
            }
        }
        if let Some(rewritten) = list_valued(expr) {
            *expr = rewritten;
            self.0.list_args += 1;
        }
        if let syn::Expr::MethodCall(call) = expr
            && call.method == "arg"
            && call
                .args
                .first()
                .is_some_and(|a| compact(a).contains("\"json-body-template\""))
        {
            *expr = (*call.receiver).clone();
            self.0.template_flags += 1;
            return self.visit_expr_mut(expr);
        }
        if let syn::Expr::Call(call) = expr
            && compact(&call.func) == "std::fs::read_to_string"
        {
            *call.func = syn::parse_quote!(crate::json_body::read);
            self.0.body_readers += 1;
        }
        if let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) = expr
            && s.value() == "Path to a file that contains the full json body."
        {
            *s = syn::LitStr::new(JSON_BODY_HELP, s.span());
            self.0.body_help += 1;
        }
        visit_mut::visit_expr_mut(self, expr);
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        if compact(&arm.pat) == "Err(r)" && compact(&arm.body).contains("todo!") {
            *arm.body = syn::parse_quote!(Err(anyhow::Error::new(r)));
            self.0.error_arms += 1;
        }
        visit_mut::visit_arm_mut(self, arm);
    }

    fn visit_predicate_type_mut(&mut self, predicate: &mut syn::PredicateType) {
        let before = predicate.bounds.len();
        predicate.bounds = predicate
            .bounds
            .iter()
            .filter(|b| compact(b) != "schemars::JsonSchema")
            .cloned()
            .collect();
        self.0.schema_bounds += before - predicate.bounds.len();
        visit_mut::visit_predicate_type_mut(self, predicate);
    }
}

/// `x.value_parser(value_parser!(Vec<T>))` and `m.get_one::<Vec<T>>(name)`, rewritten for a
/// repeatable option of `T`.
fn list_valued(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::MethodCall(call) = expr else {
        return None;
    };
    let receiver = &call.receiver;
    let args = &call.args;
    match call.method.to_string().as_str() {
        "value_parser" => {
            let syn::Expr::Macro(m) = call.args.first()? else {
                return None;
            };
            let item = vec_item(&m.mac.tokens.to_string())?;
            Some(syn::parse_quote!(
                #receiver.value_parser(::clap::value_parser!(#item)).action(::clap::ArgAction::Append)
            ))
        }
        "get_one" => {
            let turbofish = call.turbofish.as_ref()?;
            let item = vec_item(&compact(&turbofish.args))?;
            Some(syn::parse_quote!(
                #receiver.get_many::<#item>(#args).map(|values| values.cloned().collect::<::std::vec::Vec<_>>())
            ))
        }
        _ => None,
    }
}

/// `T` of `::std::vec::Vec<T>`, written as tokens.
fn vec_item(tokens: &str) -> Option<syn::Type> {
    let tokens = tokens.replace(' ', "");
    let inner = tokens.strip_prefix("::std::vec::Vec<")?.strip_suffix('>')?;
    syn::parse_str(inner).ok()
}

#[cfg(test)]
mod cli_tests {
    use super::*;

    #[test]
    fn rewrites_each_shortcoming_and_counts_them() {
        let mut file: syn::File = syn::parse_str(
            r#"
            trait CliConfig {
                fn success_item<T>(&self, value: &ResponseValue<T>) where T: schemars::JsonSchema + serde::Serialize;
            }
            fn cli_x() -> ::clap::Command {
                ::clap::Command::new("")
                    .arg(::clap::Arg::new("json-body").help("Path to a file that contains the full json body."))
                    .arg(::clap::Arg::new("json-body-template").help("XXX"))
            }
            fn cli_list() -> ::clap::Command {
                ::clap::Command::new("").arg(::clap::Arg::new("id").value_parser(::clap::value_parser!(::std::vec::Vec<::std::string::String>)))
            }
            struct Cli<T> { client: Client, config: T }
            async fn execute_x() -> anyhow::Result<()> {
                let mut request = self.client.add_scim();
                let result = request.send().await;
                if let Some(value) = matches.get_one::<::std::vec::Vec<::std::string::String>>("id") {}
                let body_txt = std::fs::read_to_string(value)?;
                match result {
                    Ok(r) => { Ok(()) }
                    Err(r) => { todo!() }
                }
            }
            "#,
        )
        .unwrap();
        let counts = cli(&mut file).unwrap();
        assert_eq!(
            counts,
            CliRewrites {
                error_arms: 1,
                body_readers: 1,
                body_help: 1,
                template_flags: 1,
                schema_bounds: 1,
                list_args: 2,
                client_types: 1,
                builders: 1,
                sends: 1,
                response_types: 1,
            }
        );
        let text = prettyplease::unparse(&file);
        for gone in [
            "todo!",
            "json-body-template",
            "schemars",
            "std::fs::read_to_string",
            "XXX",
        ] {
            assert!(!text.contains(gone), "{gone} left in:\n{text}");
        }
        assert!(
            text.contains("Err(r) => Err(anyhow::Error::new(r))"),
            "{text}"
        );
        assert!(text.contains("crate::json_body::read(value)"), "{text}");
        assert!(
            text.contains("client: finbourne_identity::IdentityClient"),
            "{text}"
        );
        assert!(
            text.contains("builder::AddScim::new(&self.client)"),
            "{text}"
        );
        assert!(text.contains("request.send_response().await"), "{text}");
        assert!(
            text.contains("value: &finbourne_identity::Response<T>"),
            "{text}"
        );
        assert!(
            text.starts_with("use finbourne_identity::operations as builder;"),
            "{text}"
        );
        assert!(text.contains(JSON_BODY_HELP));
        assert!(
            text.contains(".action(::clap::ArgAction::Append)"),
            "{text}"
        );
        assert!(
            text.contains("get_many::<::std::string::String>(\"id\")"),
            "{text}"
        );
        assert!(
            !text.contains("Vec<::std::string::String>>(\"id\")"),
            "{text}"
        );
    }

    #[test]
    fn a_shape_it_does_not_know_is_an_error_not_a_silent_pass() {
        let mut file: syn::File = syn::parse_str("fn f() { todo!() }").unwrap();
        assert!(cli(&mut file).unwrap_err().contains("todo!()"));
        let mut file: syn::File = syn::parse_str("fn f() {}").unwrap();
        assert!(cli(&mut file).unwrap_err().contains("changed shape"));
    }
}
