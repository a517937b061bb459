//! The SDK's per-operation layer: for every operation, `IdentityClient::<operation>()` returning
//! a builder with the generated client's parameter setters and the SDK's call settings, whose
//! `send()` runs the SDK's call path and returns the decoded answer.
//!
//! Everything here is read off progenitor's output (setter signatures, answer types, docs) so
//! the layer cannot drift from the client it wraps.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::operations::OperationFacts;

/// Where the layer goes, relative to the workspace root.
pub const SDK_FILE: &str = "crates/finbourne-identity/src/generated_operations.rs";

/// Operations whose `IdentityClient` method is hand-written with typed parameters; their
/// builder is still generated, and reachable as `operations::<Name>::new(&identity)`.
const TYPED: &[&str] = &["add_scim"];

/// What progenitor generated for one operation.
struct Generated<'f> {
    docs: String,
    setters: Vec<&'f syn::ImplItemFn>,
    answer: syn::Type,
}

/// The SDK layer for `facts`, from progenitor's `client` output.
pub fn layer(client: &syn::File, facts: &[OperationFacts]) -> Result<TokenStream, String> {
    let mut items = Vec::new();
    let mut methods = Vec::new();
    let mut decoders = Vec::new();
    let mut by_name = Vec::new();
    for (index, op) in facts.iter().enumerate() {
        let generated = find(client, op)?;
        let name = format_ident!("{}", op.id.to_upper_camel_case());
        let method = format_ident!("{}", op.id);
        let answer = &generated.answer;
        let decode = if is_unit(answer) {
            quote!(Ok(()))
        } else if compact(answer).starts_with("::std::vec::Vec<types::") {
            quote!(crate::call::json_records(Self::operation(), body))
        } else {
            quote!(crate::call::json(Self::operation(), body))
        };
        let setters = generated.setters.iter().map(|f| forward(f, &op.id));
        let about = format!(
            "The call of [`{}`](crate::IdentityClient::{}): set its parameters and call settings, then [`send`](crate::Call::send) it.",
            op.operation_id, op.id
        );
        items.push(quote! {
            impl<'a> RawOperation<'a> for raw::#name<'a> {
                type Output = #answer;
                fn operation() -> &'static Operation {
                    &OPERATIONS[#index]
                }
                fn start(client: &'a Client) -> Self {
                    raw::#name::new(client)
                }
                fn into_request(self) -> Result<::reqwest::Request, crate::Error> {
                    raw::#name::into_request(self)
                        .map_err(|e| crate::call::invalid_request(Self::operation(), e))
                }
                fn decode(body: &[u8]) -> Result<Self::Output, crate::Error> {
                    let _ = body;
                    #decode
                }
            }

            #[doc = #about]
            pub type #name<'a> = Call<'a, raw::#name<'a>>;

            impl<'a> #name<'a> {
                #(#setters)*
            }
        });
        by_name.push(by_name_arm(op, &name, &generated)?);
        let id = &op.id;
        decoders.push(quote! {
            (#id, |body| <raw::#name<'static> as RawOperation<'static>>::decode(body).map(drop))
        });
        if !TYPED.contains(&op.id.as_str()) {
            let docs = format!("{}{}", generated.docs, example(op, &generated));
            methods.push(quote! {
                #[doc = #docs]
                pub fn #method(&self) -> #name<'_> {
                    Call::new(self)
                }
            });
        }
    }
    Ok(quote! {
        #![doc = "A builder per operation of the API, as [`IdentityClient`]'s methods return them."]
        #![doc = ""]
        #![doc = "Each is a [`Call`] with the operation's parameter setters; see [`Call`] for the settings every call has."]

        use finbourne_identity_client::operations::{Operation, OPERATIONS};
        use finbourne_identity_client::{builder as raw, types, Client};

        use crate::call::{Call, RawOperation};
        use crate::IdentityClient;

        #(#items)*

        impl IdentityClient {
            #(#methods)*
        }

        /// The call of `operation_id` (`GetUser` or `get_user`) with its parameters as text, by
        /// the API's names (`userId`), and its body as JSON. For tests and tools that go over
        /// every operation of the table; not part of the stable API.
        ///
        /// Each value goes through the operation's own typed setter, so the call is the one a
        /// user's code makes. `Err`: an unknown operation or parameter, or a value or body
        /// that does not convert.
        #[doc(hidden)]
        pub fn call_by_name<'a>(
            identity: &'a IdentityClient,
            operation_id: &str,
            values: &[(&str, &str)],
            body: Option<&str>,
        ) -> Result<Box<dyn crate::call::DynCall<'a> + 'a>, String> {
            match operation_id {
                #(#by_name)*
                other => Err(format!("no operation `{other}`")),
            }
        }

        /// An operation's decoder with its answer dropped.
        #[cfg(test)]
        type Decoder = fn(&[u8]) -> Result<(), crate::Error>;

        /// Every operation's decoder: for tests over every operation.
        #[cfg(test)]
        pub(crate) static DECODERS: &[(&str, Decoder)] = &[#(#decoders),*];
    })
}

/// The arm of `call_by_name` for `op`: each parameter through its typed setter.
fn by_name_arm(
    op: &OperationFacts,
    name: &syn::Ident,
    generated: &Generated,
) -> Result<TokenStream, String> {
    let operation_id = &op.operation_id;
    let id = &op.id;
    let setter_type = |setter: &str| {
        generated
            .setters
            .iter()
            .find(|f| f.sig.ident == setter)
            .and_then(|f| value_type(&f.sig))
    };
    let mut params = Vec::new();
    for param in &op.params {
        let api_name = &param.name;
        let setter = format_ident!("{}", param.name.to_snake_case());
        let ty = setter_type(&setter.to_string()).ok_or_else(|| {
            format!("{operation_id}: no setter `{setter}` for parameter `{api_name}`")
        })?;
        let convert = text_to(&ty, api_name);
        params.push(quote!(#api_name => call.#setter(#convert),));
    }
    let body = match setter_type("body") {
        Some(ty) => quote! {
            if let Some(body) = body {
                let body: #ty = ::serde_json::from_str(body).map_err(|e| format!("body: {e}"))?;
                call = call.body(body);
            }
        },
        None => quote! {
            if body.is_some() {
                return Err(format!("{} takes no body", #operation_id));
            }
        },
    };
    let set = if params.is_empty() {
        quote! {
            if let Some((other, _)) = values.first() {
                return Err(format!("{} has no parameter `{other}`", #operation_id));
            }
        }
    } else {
        quote! {
            for (name, value) in values {
                let value: &str = value;
                call = match *name {
                    #(#params)*
                    other => return Err(format!("{} has no parameter `{other}`", #operation_id)),
                };
            }
        }
    };
    Ok(quote! {
        #operation_id | #id => {
            #[allow(unused_mut)]
            let mut call = Call::<raw::#name<'a>>::new(identity);
            #set
            #body
            Ok(Box::new(call))
        }
    })
}

/// `T` of a setter's `V: TryInto<T>`.
fn value_type(sig: &syn::Signature) -> Option<syn::Type> {
    let clause = sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|p| {
        let syn::WherePredicate::Type(t) = p else {
            return None;
        };
        t.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(bound) = b else {
                return None;
            };
            let last = bound.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            match generic(last)? {
                syn::GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            }
        })
    })
}

/// An expression turning `value: &str` into `ty`, failing with a message naming `name`.
fn text_to(ty: &syn::Type, name: &str) -> TokenStream {
    let text = compact(ty);
    if text == "::std::string::String" {
        return quote!(value.to_owned());
    }
    if let Some(inner) = last_segment(ty)
        .filter(|s| s.ident == "Vec")
        .and_then(generic)
        .and_then(|g| match g {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
    {
        let one = text_to(&inner, name);
        return quote!(vec![#one]);
    }
    if text.starts_with("types::") {
        return quote!(::serde_json::from_value::<#ty>(::serde_json::Value::from(value))
            .map_err(|e| format!("{}: {e}", #name))?);
    }
    quote!(value.parse::<#ty>().map_err(|e| format!("{}: {e}", #name))?)
}

fn is_unit(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Tuple(t) if t.elems.is_empty())
}

/// A setter of the SDK builder that sets the same parameter on the generated one.
fn forward(setter: &syn::ImplItemFn, operation: &str) -> TokenStream {
    let mut sig = setter.sig.clone();
    let mut args = Vec::new();
    for input in sig.inputs.iter_mut() {
        match input {
            syn::FnArg::Receiver(receiver) => receiver.mutability = None,
            syn::FnArg::Typed(typed) => {
                if let syn::Pat::Ident(ident) = &*typed.pat {
                    args.push(ident.ident.clone());
                }
            }
        }
    }
    let name = &sig.ident;
    let doc = format!(
        "Sets `{name}`; see [`IdentityClient::{operation}`](crate::IdentityClient::{operation})."
    );
    quote! {
        #[doc = #doc]
        pub #sig {
            self.map(|raw| raw.#name(#(#args),*))
        }
    }
}

/// A compiling example: the call with its text parameters given placeholder values.
fn example(op: &OperationFacts, generated: &Generated) -> String {
    let mut call = format!("let answer = identity.{}()", op.id);
    for setter in &generated.setters {
        let text = quote::ToTokens::to_token_stream(&setter.sig)
            .to_string()
            .replace(' ', "");
        if text.contains("TryInto<::std::string::String>") {
            call.push_str(&format!("\n    .{}(\"…\")", setter.sig.ident));
        }
    }
    format!(
        "\n\n```no_run\n# async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {{\n{call}\n    .send()\n    .await?;\n# let _ = answer;\n# Ok(())\n# }}\n```\n"
    )
}

/// Progenitor's docs, setters and answer type for `op`.
fn find<'f>(client: &'f syn::File, op: &OperationFacts) -> Result<Generated<'f>, String> {
    let name = op.id.to_upper_camel_case();
    let missing = |what: &str| format!("{}: progenitor generated no {what}", op.operation_id);
    let docs = client
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Impl(block) if compact(&block.self_ty) == "Client" => Some(block),
            _ => None,
        })
        .flat_map(|block| &block.items)
        .find_map(|i| match i {
            syn::ImplItem::Fn(f) if f.sig.ident == op.id => Some(doc_text(&f.attrs)),
            _ => None,
        })
        .ok_or_else(|| missing("client method"))?;
    let builder = client
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .flat_map(|(_, items)| items)
        .find_map(|i| match i {
            syn::Item::Impl(block) if compact(&block.self_ty) == format!("{name}<'a>") => {
                Some(block)
            }
            _ => None,
        })
        .ok_or_else(|| missing("builder"))?;
    let mut setters = Vec::new();
    let mut answer = None;
    for item in &builder.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        match f.sig.ident.to_string().as_str() {
            "new" | "into_request" => {}
            "send" => answer = Some(answer_type(&f.sig).ok_or_else(|| missing("answer type"))?),
            _ => setters.push(f),
        }
    }
    Ok(Generated {
        docs: cut_example(&docs),
        setters,
        answer: answer.ok_or_else(|| missing("send"))?,
    })
}

/// `T` of `Result<ResponseValue<T>, _>`.
fn answer_type(sig: &syn::Signature) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return None;
    };
    let result = last_segment(ty)?;
    let syn::GenericArgument::Type(value) = generic(result)? else {
        return None;
    };
    match generic(last_segment(value)?)? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last(),
        _ => None,
    }
}

fn generic(segment: &syn::PathSegment) -> Option<&syn::GenericArgument> {
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.first(),
        _ => None,
    }
}

fn doc_text(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Progenitor's docs without its `ignore` example, which names the generated client.
fn cut_example(docs: &str) -> String {
    docs.split("```ignore")
        .next()
        .unwrap_or("")
        .trim_end()
        .to_owned()
}

fn compact(tokens: &impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::Idempotency;

    fn facts(id: &str) -> OperationFacts {
        OperationFacts {
            operation_id: id.to_upper_camel_case(),
            id: id.into(),
            method: "GET".into(),
            path: "/api/things/{id}".into(),
            tag: "Things".into(),
            idempotency: Idempotency::Always,
            credential_fields: vec![],
            date_time_query: vec![],
            params: vec![],
            minimal_body: None,
            paging: None,
        }
    }

    fn client() -> syn::File {
        syn::parse_str(
            r#"
            impl Client {
                #[doc = "Get a thing\n\nSends a `GET` request\n```ignore\nclient.get_thing().id(id).send()\n```"]
                pub fn get_thing(&self) -> builder::GetThing<'_> { builder::GetThing::new(self) }
            }
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub fn new(client: &'a super::Client) -> Self { todo!() }
                    pub fn id<V>(mut self, value: V) -> Self where V: std::convert::TryInto<::std::string::String> { self }
                    pub async fn send(self) -> Result<ResponseValue<types::Thing>, Error<ByteStream>> { todo!() }
                    pub fn into_request(self) -> Result<::reqwest::Request, Error> { todo!() }
                }
            }
            "#,
        )
        .unwrap()
    }

    #[test]
    fn each_operation_gets_a_method_a_builder_and_forwarding_setters() {
        let tokens = layer(&client(), &[facts("get_thing")]).unwrap();
        let text = prettyplease::unparse(&syn::parse2(tokens).unwrap());
        assert!(
            text.contains("pub type GetThing<'a> = Call<'a, raw::GetThing<'a>>;"),
            "{text}"
        );
        assert!(text.contains("type Output = types::Thing;"), "{text}");
        assert!(text.contains("&OPERATIONS[0usize]"), "{text}");
        assert!(
            text.contains("pub fn id<V>(self, value: V) -> Self"),
            "{text}"
        );
        assert!(text.contains("self.map(|raw| raw.id(value))"), "{text}");
        assert!(
            text.contains("pub fn get_thing(&self) -> GetThing<'_>"),
            "{text}"
        );
        assert!(
            text.contains("identity.get_thing()\n    .id(\"…\")\n    .send()"),
            "example sets the text parameter:\n{text}"
        );
        assert!(!text.contains("```ignore"), "{text}");
    }

    #[test]
    fn typed_operations_keep_their_builder_but_not_the_generated_method() {
        let source = prettyplease::unparse(&client())
            .replace("get_thing", "add_scim")
            .replace("GetThing", "AddScim");
        let tokens = layer(&syn::parse_str(&source).unwrap(), &[facts("add_scim")]).unwrap();
        let text = tokens.to_string();
        assert!(text.contains("pub type AddScim"), "{text}");
        assert!(!text.contains("pub fn add_scim"), "{text}");
    }

    #[test]
    fn an_operation_progenitor_did_not_generate_is_an_error_naming_it() {
        let error = layer(&client(), &[facts("get_other")]).unwrap_err();
        assert_eq!(error, "GetOther: progenitor generated no client method");
    }
}
