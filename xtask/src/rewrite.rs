//! Rewrites of the generated syntax tree, for what no generator setting controls.

use syn::visit_mut::{self, VisitMut};

/// Removes the `api-version` header progenitor adds to every request.
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
        self.0 += before - block.stmts.len();
        visit_mut::visit_block_mut(self, block);
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

#[cfg(test)]
mod tests {
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
    }
}
