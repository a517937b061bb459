//! The SDK's per-operation layer: for every operation, `IdentityClient::<operation>()` returning
//! a builder with the operation's setters and the SDK's call settings, whose `send()` runs the
//! SDK's call path and returns the decoded answer.
//!
//! Everything here is read off progenitor's output (setter signatures, answer types, docs) so
//! the layer cannot drift from the client it wraps. The setters take what callers have, as
//! aws-sdk-rust's do: a value as anything that converts into it (`&str` for text), a list as
//! any iterator of such values, a record as the record or its builder, and `set_x(Option<T>)`
//! sets or clears it. The properties of a JSON object body are setters of the call too
//! (`create_role().name("payroll")`), built into the body when it is sent; `.body(..)` still
//! takes a whole body.

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

use crate::operations::{OperationFacts, PagingFacts};

/// Where the layer goes, relative to the workspace root.
pub const SDK_FILE: &str = "crates/finbourne-identity/src/generated_operations.rs";

/// Operations whose `IdentityClient` method is hand-written with typed parameters; their
/// builder is still generated, and reachable as `operations::<Name>::new(&identity)`.
const TYPED: &[&str] = &["add_scim"];

/// Methods every `Call` has (`crate::call`, `crate::paging`, `crate::logs`), and the generated
/// builder's whole-body setters: a body property of the same name is set with `body_<name>`.
const CALL_METHODS: &[&str] = &[
    "new",
    "map",
    "options",
    "total_timeout",
    "attempt_timeout",
    "read_timeout",
    "retry_policy",
    "idempotent",
    "send",
    "send_response",
    "into_future",
    "pages",
    "items",
    "follow",
    "body",
    "body_map",
];

/// An example that runs against the emulator: hidden statements first (`# ` lines), then the
/// values its setters take, by setter (the required ones get placeholders otherwise).
struct Run {
    op: &'static str,
    setup: &'static [&'static str],
    values: &'static [(&'static str, &'static str)],
}

const NEW_USER: &str = "let user = identity.create_user().first_name(\"Grace\").last_name(\"Hopper\").email_address(\"grace@example.com\").login(\"grace@example.com\").type_(\"Personal\").send().await?;";
const NEW_ROLE: &str = "let role = identity.create_role().name(\"payroll\").send().await?;";
const GRACE: &[(&str, &str)] = &[
    ("first_name", "\"Grace\""),
    ("last_name", "\"Hopper\""),
    ("email_address", "\"grace@example.com\""),
    ("login", "\"grace@example.com\""),
    ("type_", "\"Personal\""),
];

/// The operations whose doc example runs against `finbourne-identity-emulator` (a
/// dev-dependency); the others compile only (`no_run`), because the emulator does not serve
/// them or because they need a real domain.
const RUNS: &[Run] = &[
    Run {
        op: "get_user_info",
        setup: &[],
        values: &[],
    },
    Run {
        op: "list_users",
        setup: &[],
        values: &[],
    },
    Run {
        op: "create_user",
        setup: &[],
        values: GRACE,
    },
    Run {
        op: "get_user",
        setup: &[NEW_USER],
        values: &[("id", "&user.id")],
    },
    Run {
        op: "get_user_from_login",
        setup: &[NEW_USER],
        values: &[("login", "\"grace@example.com\"")],
    },
    Run {
        op: "update_user",
        setup: &[NEW_USER],
        values: &[
            ("id", "&user.id"),
            ("first_name", "\"Grace\""),
            ("last_name", "\"Murray Hopper\""),
            ("email_address", "\"grace@example.com\""),
            ("login", "\"grace@example.com\""),
        ],
    },
    Run {
        op: "delete_user",
        setup: &[NEW_USER],
        values: &[("id", "&user.id")],
    },
    Run {
        op: "list_roles",
        setup: &[],
        values: &[],
    },
    Run {
        op: "create_role",
        setup: &[],
        values: &[("name", "\"payroll\""), ("description", "\"Pays people\"")],
    },
    Run {
        op: "get_role",
        setup: &[NEW_ROLE],
        values: &[("id", "&role.id")],
    },
    Run {
        op: "get_role_by_code",
        setup: &[NEW_ROLE],
        values: &[("code", "&role.role_id.code")],
    },
    Run {
        op: "update_role",
        setup: &[NEW_ROLE],
        values: &[("id", "&role.id"), ("description", "\"Pays everyone\"")],
    },
    Run {
        op: "delete_role",
        setup: &[NEW_ROLE],
        values: &[("id", "&role.id")],
    },
    Run {
        op: "list_users_in_role",
        setup: &[NEW_ROLE],
        values: &[("id", "&role.id")],
    },
    Run {
        op: "add_user_to_role",
        setup: &[NEW_USER, NEW_ROLE],
        values: &[("id", "&role.id"), ("user_id", "&user.id")],
    },
    Run {
        op: "remove_scim",
        setup: &["identity.add_scim(finbourne_identity::ScimTokenAction::Ensure).await?;"],
        values: &[],
    },
    Run {
        op: "remove_user_from_role",
        setup: &[
            NEW_USER,
            NEW_ROLE,
            "identity.add_user_to_role().id(&role.id).user_id(&user.id).send().await?;",
        ],
        values: &[("id", "&role.id"), ("user_id", "&user.id")],
    },
];

/// The hidden start of an example that runs: an emulator and a client of it.
const EMULATOR: &str = "\
# #[tokio::main(flavor = \"current_thread\")]
# async fn main() -> Result<(), Box<dyn std::error::Error>> {
# let emulator = finbourne_identity_emulator::Emulator::start().await?;
# let config = finbourne_identity::ConfigLoader::new()
#     .environment(|_| None)
#     .no_secrets_file()
#     .identity_url(emulator.identity_url())
#     .access_token(emulator.issue_access_token())
#     .load()?;
# let identity = finbourne_identity::IdentityClient::new(config)?;
";

/// The hidden start of an example that only compiles.
const NO_RUN: &str = "# async fn run(identity: finbourne_identity::IdentityClient) -> Result<(), finbourne_identity::Error> {\n";

/// Where a value goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A path or query parameter of the generated operation builder.
    Param,
    /// A property of the body, through the body record's builder.
    Body,
}

/// One value a call sets: a parameter, or a property of the body.
struct Value {
    /// The SDK call's setter: `okta_after`, `description`, `body_idempotent`.
    name: syn::Ident,
    /// The generated builder's setter for it (operation builder or record builder).
    raw: syn::Ident,
    /// Its type, as the SDK layer spells it (`types::X`, `::std::string::String`).
    ty: syn::Type,
    /// Whether the type is a generated record, which has a builder.
    record: bool,
    /// Whether the call fails without it.
    required: bool,
    /// As the API names it: `oktaAfter`.
    api_name: String,
    /// `path`, `query` or `body`.
    location: String,
    /// The spec's description.
    doc: String,
    place: Place,
}

/// What progenitor generated for one operation.
struct Generated<'f> {
    docs: String,
    /// Path and query parameters.
    params: Vec<Value>,
    /// `body` and `body_map`, forwarded as they are.
    body_setters: Vec<&'f syn::ImplItemFn>,
    /// The properties of a JSON object body.
    body_fields: Vec<Value>,
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
        let setters = generated
            .params
            .iter()
            .chain(&generated.body_fields)
            .map(|v| value_setters(v, &op.id));
        let whole_body = generated.body_setters.iter().map(|f| forward(f, &op.id));
        let about = format!(
            "The call of [`{}`](crate::IdentityClient::{}): set its parameters and call settings, then [`send`](crate::Call::send) it.",
            op.operation_id, op.id
        );
        let paged = match &op.paging {
            Some(paging) => paged(client, op, paging, &name, &generated)?,
            None => quote!(),
        };
        items.push(quote! {
            impl<'a> RawOperation<'a> for raw::#name<'a> {
                type Output = #answer;
                fn operation() -> &'static Operation {
                    &OPERATIONS[#index]
                }
                fn start(client: &'a Client) -> Self {
                    raw::#name::new(client)
                }
                fn request(&self) -> Result<::reqwest::Request, crate::Error> {
                    raw::#name::request(self)
                        .map_err(|e| crate::call::invalid_request(Self::operation(), e))
                }
                fn decode(body: &[u8]) -> Result<Self::Output, crate::Error> {
                    let _ = body;
                    #decode
                }
            }

            #paged

            #[doc = #about]
            pub type #name<'a> = Call<'a, raw::#name<'a>>;

            impl<'a> #name<'a> {
                #(#setters)*
                #(#whole_body)*
            }
        });
        by_name.push(by_name_arm(op, &name, &generated)?);
        let id = &op.id;
        decoders.push(quote! {
            (#id, |body| <raw::#name<'static> as RawOperation<'static>>::decode(body).map(drop))
        });
        if !TYPED.contains(&op.id.as_str()) {
            let docs = format!(
                "{}{}{}",
                generated.docs,
                paging_note(op),
                example(client, op, &generated)?
            );
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
        #![doc = "Each is a [`Call`] with the operation's setters; see [`Call`] for the settings every call has."]

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

/// The paging of `op`: how a page's token is sent and read, and its items.
fn paged(
    client: &syn::File,
    op: &OperationFacts,
    paging: &PagingFacts,
    name: &syn::Ident,
    generated: &Generated,
) -> Result<TokenStream, String> {
    let operation_id = &op.operation_id;
    let token = generated
        .params
        .iter()
        .find(|v| v.api_name == paging.token_param)
        .ok_or_else(|| {
            format!(
                "{operation_id}: pages with `{}`, which has no setter",
                paging.token_param
            )
        })?;
    let token_setter = &token.raw;
    let record = last_segment(&generated.answer)
        .map(|s| s.ident.clone())
        .ok_or_else(|| format!("{operation_id}: a paged answer must be a record"))?;
    let fields = record_fields(client, &record)
        .ok_or_else(|| format!("{operation_id}: no record `{record}` for its pages"))?;
    let field = |api: &str| {
        fields
            .iter()
            .find(|f| f.api_name == api)
            .ok_or_else(|| format!("{operation_id}: `{record}` has no `{api}`"))
    };
    let next = field(&paging.next_field)?;
    let next_ident = &next.ident;
    let next_token = if next.optional {
        quote!(page.#next_ident.as_deref())
    } else {
        quote!(Some(page.#next_ident.as_str()))
    };
    let items = field(&paging.items_field)?;
    let items_ident = &items.ident;
    let item = vec_item(&items.ty).ok_or_else(|| {
        format!(
            "{operation_id}: `{record}.{}` is not a list",
            paging.items_field
        )
    })?;
    Ok(quote! {
        impl<'a> crate::paging::PagedOperation<'a> for raw::#name<'a> {
            type Item = #item;
            fn with_token(self, token: ::std::string::String) -> Self {
                self.#token_setter(token)
            }
            fn next_token(page: &Self::Output) -> Option<&str> {
                #next_token
            }
            fn into_items(page: Self::Output) -> ::std::vec::Vec<Self::Item> {
                page.#items_ident
            }
        }
    })
}

/// What an operation's docs say of its paging.
fn paging_note(op: &OperationFacts) -> String {
    match &op.paging {
        Some(paging) => format!(
            "\n\nThe answer is one page. [`items`](crate::Call::items) streams the items of every page and [`pages`](crate::Call::pages) the pages, asking for each next page with `{}`; each page is one call with this call's settings.",
            paging.token_param
        ),
        None => String::new(),
    }
}

/// The arm of `call_by_name` for `op`: each parameter through its typed setter.
fn by_name_arm(
    op: &OperationFacts,
    name: &syn::Ident,
    generated: &Generated,
) -> Result<TokenStream, String> {
    let operation_id = &op.operation_id;
    let id = &op.id;
    let mut params = Vec::new();
    for param in &op.params {
        let api_name = &param.name;
        let value = generated
            .params
            .iter()
            .find(|v| v.api_name == *api_name)
            .ok_or_else(|| format!("{operation_id}: no setter for parameter `{api_name}`"))?;
        let setter = &value.name;
        let convert = text_to(&value.ty, api_name);
        params.push(quote!(#api_name => call.#setter(#convert),));
    }
    let body_type = generated
        .body_setters
        .iter()
        .find(|f| f.sig.ident == "body")
        .and_then(|f| value_type(&f.sig));
    let body = match body_type {
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
    if let Some(inner) = vec_item(ty) {
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

/// `U` of `Vec<U>`.
fn vec_item(ty: &syn::Type) -> Option<syn::Type> {
    let segment = last_segment(ty).filter(|s| s.ident == "Vec")?;
    match generic(segment)? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

/// `T` of `Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    let segment = last_segment(ty).filter(|s| s.ident == "Option")?;
    match generic(segment)? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

/// A value's setter and its `set_` twin on the SDK call, forwarding to the generated builder
/// (for a body property, through `body_map` to the body record's builder).
fn value_setters(value: &Value, operation: &str) -> TokenStream {
    let Value {
        name, raw, ty, doc, ..
    } = value;
    let set = format_ident!("set_{}", name);
    let raw_set = format_ident!("set_{}", raw);
    let apply = |method: &syn::Ident| match value.place {
        Place::Param => quote!(self.map(|raw| raw.#method(value))),
        Place::Body => quote!(self.map(|raw| raw.body_map(|body| body.#method(value)))),
    };
    let (set_value, set_option) = (apply(raw), apply(&raw_set));
    let what = match value.place {
        Place::Param => format!("the {} parameter `{}`", value.location, value.api_name),
        Place::Body => format!("the body's property `{}`", value.api_name),
    };
    let required = if value.required { ", required" } else { "" };
    let about = if doc.is_empty() {
        String::new()
    } else {
        format!("{}\n\n", doc.trim_end())
    };
    let renamed = if *name == *raw {
        String::new()
    } else {
        format!(" Named `{name}` because every call has `{raw}`.")
    };
    let setter_doc = format!(
        "{about}Sets {what}{required}; see [`IdentityClient::{operation}`](crate::IdentityClient::{operation}). [`{set}`](Self::{set}) takes an `Option`.{renamed}"
    );
    let set_doc = if value.required {
        format!("Sets {what} (`Some`) or unsets it (`None`): the call then fails naming it.")
    } else {
        format!("Sets {what} (`Some`) or clears it (`None`).")
    };
    let setter = if let Some(item) = vec_item(ty) {
        quote! {
            pub fn #name(self, value: impl IntoIterator<Item = impl Into<#item>>) -> Self {
                let value: #ty = value.into_iter().map(Into::into).collect();
                #set_value
            }
        }
    } else if value.record {
        quote! {
            pub fn #name<V>(self, value: V) -> Self
            where
                V: TryInto<#ty>,
                V::Error: ::std::fmt::Display,
            {
                #set_value
            }
        }
    } else {
        quote! {
            pub fn #name(self, value: impl Into<#ty>) -> Self {
                let value: #ty = value.into();
                #set_value
            }
        }
    };
    quote! {
        #[doc = #setter_doc]
        #setter
        #[doc = #set_doc]
        pub fn #set(self, value: Option<#ty>) -> Self {
            #set_option
        }
    }
}

/// A setter of the SDK builder that sets the same value on the generated one.
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
    let doc = match name.to_string().as_str() {
        "body" => format!(
            "Sets the whole body: the record, or its builder (`types::X::builder()`); see [`IdentityClient::{operation}`](crate::IdentityClient::{operation}). The body's property setters of this call change the body given here when they come after it."
        ),
        "body_map" => "Changes the body with its record's builder.".to_owned(),
        _ => format!(
            "Sets `{name}`; see [`IdentityClient::{operation}`](crate::IdentityClient::{operation})."
        ),
    };
    quote! {
        #[doc = #doc]
        pub #sig {
            self.map(|raw| raw.#name(#(#args),*))
        }
    }
}

/// A compiling example that sets the values the call needs; it runs against the emulator for
/// the operations [`RUNS`] names.
fn example(
    client: &syn::File,
    op: &OperationFacts,
    generated: &Generated,
) -> Result<String, String> {
    let run = RUNS.iter().find(|r| r.op == op.id);
    let values: Vec<&Value> = generated
        .params
        .iter()
        .chain(&generated.body_fields)
        .collect();
    let mut lines = Vec::new();
    // The values an example that runs gives, in its order; then placeholders for the other
    // required ones.
    for (setter, text) in run.map_or(&[][..], |r| r.values) {
        if !values.iter().any(|v| v.name == setter) {
            return Err(format!("{}: the example sets no setter `{setter}`", op.id));
        }
        lines.push(format!("    .{setter}({text})"));
    }
    for value in values.iter().filter(|v| v.required) {
        let setter = value.name.to_string();
        if run.is_some_and(|r| r.values.iter().any(|(name, _)| *name == setter)) {
            continue;
        }
        let text = placeholder(client, &value.ty, 0).ok_or_else(|| {
            format!(
                "{}: no example value for `{setter}` of type `{}`",
                op.operation_id,
                compact(&value.ty)
            )
        })?;
        lines.push(format!("    .{setter}({text})"));
    }
    let chain: String = lines.iter().map(|line| format!("\n{line}")).collect();
    let call = if op.paging.is_some() {
        format!(
            "let mut items = identity.{}(){chain}\n    .items();\nwhile let Some(item) = items.try_next().await? {{\n    println!(\"{{item:?}}\");\n}}",
            op.id
        )
    } else {
        format!(
            "let answer = identity.{}(){chain}\n    .send()\n    .await?;\n# let _ = answer;",
            op.id
        )
    };
    let uses_types = call.contains("types::");
    let mut text = String::from("\n\n```");
    match run {
        Some(run) => {
            text.push('\n');
            if uses_types {
                text.push_str("use finbourne_identity::client::types;\n\n");
            }
            text.push_str(EMULATOR);
            for line in run.setup {
                text.push_str(&format!("# {line}\n"));
            }
        }
        None => {
            text.push_str("no_run\n");
            if uses_types {
                text.push_str("use finbourne_identity::client::types;\n\n");
            }
            text.push_str(NO_RUN);
        }
    }
    text.push_str(&call);
    text.push_str("\n# Ok(())\n# }\n```\n");
    Ok(text)
}

/// A value of `ty` for an example: text, a number, a list, or a record's builder with its
/// required properties set, one to a line. `depth` 0 is a setter of the call, which takes a
/// list as any iterator; deeper is a record builder's, which takes a `Vec`.
fn placeholder(client: &syn::File, ty: &syn::Type, depth: usize) -> Option<String> {
    let text = compact(ty);
    let simple = match text.as_str() {
        "::std::string::String" => Some("\"…\""),
        "bool" => Some("false"),
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            Some("0")
        }
        "f32" | "f64" => Some("0.0"),
        _ => None,
    };
    if let Some(simple) = simple {
        return Some(simple.to_owned());
    }
    if let Some(item) = vec_item(ty) {
        if depth == 0 && compact(&item) == "::std::string::String" {
            return Some("[\"…\"]".to_owned());
        }
        return Some(format!("Vec::<{}>::new()", pretty(&item)));
    }
    if let Some(record) = record_name(client, ty) {
        if depth > 4 {
            return None;
        }
        let indent = " ".repeat(4 * (depth + 2));
        let mut built = format!("types::{record}::builder()");
        for field in record_fields(client, &record)? {
            if field.required {
                let value = placeholder(client, &field.ty, depth + 1)?;
                built.push_str(&format!("\n{indent}.{}({value})", field.ident));
            }
        }
        return Some(built);
    }
    Some(format!("<{}>::default()", pretty(ty)))
}

/// A type as an example spells it.
fn pretty(ty: &syn::Type) -> String {
    compact(ty)
        .replace("::std::string::String", "String")
        .replace("::std::vec::Vec", "Vec")
        .replace("::std::option::Option", "Option")
        .replace("::std::collections::", "std::collections::")
        .replace("::chrono::offset::Utc", "chrono::Utc")
        .replace("::chrono::", "chrono::")
        .replace(',', ", ")
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
    let builder = module(&client.items, "builder")
        .into_iter()
        .flatten()
        .find_map(|i| match i {
            syn::Item::Impl(block) if compact(&block.self_ty) == format!("{name}<'a>") => {
                Some(block)
            }
            _ => None,
        })
        .ok_or_else(|| missing("builder"))?;
    let fns: Vec<&syn::ImplItemFn> = builder
        .items
        .iter()
        .filter_map(|i| match i {
            syn::ImplItem::Fn(f) => Some(f),
            _ => None,
        })
        .collect();
    let by_name = |n: &str| fns.iter().copied().find(|f| f.sig.ident == n);
    let new = by_name("new").ok_or_else(|| missing("`new`"))?;
    let arguments = arguments(&docs);
    let mut params = Vec::new();
    let mut body_setters = Vec::new();
    let mut body_fields = Vec::new();
    let mut answer = None;
    for f in &fns {
        let ident = f.sig.ident.to_string();
        match ident.as_str() {
            "new" | "request" => {}
            "send" => answer = Some(answer_type(&f.sig).ok_or_else(|| missing("answer type"))?),
            "body" => body_setters.push(*f),
            "body_map" => {
                body_setters.push(*f);
                let record = body_record(f).ok_or_else(|| missing("body record"))?;
                body_fields = record_fields(client, &record)
                    .ok_or_else(|| missing(&format!("builder of `{record}`")))?
                    .into_iter()
                    .map(|field| Value {
                        name: field.ident.clone(),
                        raw: field.ident,
                        record: record_name(client, &field.ty).is_some(),
                        ty: field.ty,
                        required: field.required,
                        api_name: field.api_name,
                        location: "body".into(),
                        doc: field.doc,
                        place: Place::Body,
                    })
                    .collect();
            }
            _ if ident.starts_with("set_") => {}
            _ => {
                let set = by_name(&format!("set_{ident}"))
                    .ok_or_else(|| missing(&format!("`set_{ident}`")))?;
                let ty =
                    set_type(&set.sig).ok_or_else(|| missing(&format!("type of `{ident}`")))?;
                let fact = op.params.iter().find(|p| p.name.to_snake_case() == ident);
                params.push(Value {
                    name: f.sig.ident.clone(),
                    raw: f.sig.ident.clone(),
                    record: false,
                    ty,
                    required: compact(new).contains(&format!("{ident}:Err(")),
                    api_name: fact.map_or_else(|| ident.clone(), |p| p.name.clone()),
                    location: fact.map_or_else(|| "query".into(), |p| p.location.clone()),
                    doc: arguments
                        .iter()
                        .find(|(n, _)| *n == ident)
                        .map(|(_, d)| d.clone())
                        .unwrap_or_default(),
                    place: Place::Param,
                });
            }
        }
    }
    // A body property named like a parameter or a method of every call is set as `body_<name>`.
    for field in &mut body_fields {
        let taken =
            |name: &str| CALL_METHODS.contains(&name) || params.iter().any(|p| p.name == name);
        if taken(&field.name.to_string()) {
            let renamed = format!("body_{}", field.name);
            if taken(&renamed) {
                return Err(format!(
                    "{}: the body's `{}` has no free setter name",
                    op.operation_id, field.api_name
                ));
            }
            field.name = format_ident!("{renamed}");
        }
    }
    Ok(Generated {
        docs: cut_example(&docs),
        params,
        body_setters,
        body_fields,
        answer: answer.ok_or_else(|| missing("send"))?,
    })
}

/// The items of module `name` among `items`.
fn module<'f>(items: &'f [syn::Item], name: &str) -> Option<&'f Vec<syn::Item>> {
    items.iter().find_map(|i| match i {
        syn::Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    })
}

/// `X` of `body_map`'s `F: FnOnce(types::builder::X) -> types::builder::X`.
fn body_record(body_map: &syn::ImplItemFn) -> Option<syn::Ident> {
    let text = compact(&body_map.sig);
    let after = text.split("types::builder::").nth(1)?;
    let name: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    syn::parse_str(&name).ok()
}

/// `T` of a `set_x(self, value: Option<T>)`.
fn set_type(sig: &syn::Signature) -> Option<syn::Type> {
    sig.inputs.iter().find_map(|input| match input {
        syn::FnArg::Typed(typed) => option_inner(&typed.ty),
        _ => None,
    })
}

/// A property of a generated record.
struct Field {
    ident: syn::Ident,
    /// As the SDK layer spells it; `T` of an `Option<T>` field.
    ty: syn::Type,
    /// Whether the record's field is an `Option`.
    optional: bool,
    required: bool,
    api_name: String,
    doc: String,
}

/// The properties of the generated record `record`, with what its builder says of them: the
/// type its `set_x` takes and whether it must be given. `None` when there is no such record
/// or builder.
fn record_fields(client: &syn::File, record: &syn::Ident) -> Option<Vec<Field>> {
    let types = module(&client.items, "types")?;
    let declared = types.iter().find_map(|i| match i {
        syn::Item::Struct(s) if s.ident == *record => Some(s),
        _ => None,
    })?;
    let builders = module(types, "builder")?;
    let setters = builders.iter().find_map(|i| match i {
        syn::Item::Impl(block) if block.trait_.is_none() && *record == compact(&block.self_ty) => {
            Some(block)
        }
        _ => None,
    })?;
    let default = builders
        .iter()
        .find_map(|i| match i {
            syn::Item::Impl(block)
                if block.trait_.as_ref().is_some_and(|(path, _)| {
                    path.segments.last().is_some_and(|s| s.ident == "Default")
                }) && *record == compact(&block.self_ty) =>
            {
                Some(compact(block))
            }
            _ => None,
        })
        .unwrap_or_default();
    let mut fields = Vec::new();
    for field in &declared.fields {
        let ident = field.ident.clone()?;
        let set = format!("set_{ident}");
        let set = setters.items.iter().find_map(|i| match i {
            syn::ImplItem::Fn(f) if f.sig.ident == set => Some(f),
            _ => None,
        })?;
        let mut ty = set_type(&set.sig)?;
        InTypes(types).visit_type_mut(&mut ty);
        fields.push(Field {
            optional: option_inner(&field.ty).is_some(),
            required: default.contains(&format!("{ident}:Err(")),
            api_name: serde_name(&field.attrs).unwrap_or_else(|| ident.to_string()),
            doc: doc_text(&field.attrs).trim().to_owned(),
            ident,
            ty,
        });
    }
    Some(fields)
}

/// The record `ty` names (`types::X`, `super::X` or `X`), when it is one with a builder.
fn record_name(client: &syn::File, ty: &syn::Type) -> Option<syn::Ident> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let name = match segments.as_slice() {
        [types, name] if types == "types" || types == "super" => name,
        [name] => name,
        _ => return None,
    };
    let builders = module(module(&client.items, "types")?, "builder")?;
    builders.iter().find_map(|i| match i {
        syn::Item::Struct(s) if s.ident == name => Some(s.ident.clone()),
        _ => None,
    })
}

/// Spells the types of the generated `types` module as the SDK layer sees them: `super::X`
/// (from the builders) and a bare `X` (from the records) become `types::X`.
struct InTypes<'f>(&'f [syn::Item]);

impl VisitMut for InTypes<'_> {
    fn visit_type_path_mut(&mut self, ty: &mut syn::TypePath) {
        let segments = &ty.path.segments;
        let declared = |name: &syn::Ident| {
            self.0.iter().any(|i| match i {
                syn::Item::Struct(s) => s.ident == *name,
                syn::Item::Enum(e) => e.ident == *name,
                syn::Item::Type(t) => t.ident == *name,
                _ => false,
            })
        };
        if ty.qself.is_none() && ty.path.leading_colon.is_none() {
            if segments.len() == 2 && segments[0].ident == "super" {
                ty.path.segments[0].ident = format_ident!("types");
            } else if segments.len() == 1 && declared(&segments[0].ident) {
                let name = segments[0].clone();
                ty.path = syn::parse_quote!(types::#name);
            }
        }
        syn::visit_mut::visit_type_path_mut(self, ty);
    }
}

/// The name serde reads a field by: its `rename`, if any.
fn serde_name(attrs: &[syn::Attribute]) -> Option<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .find_map(|a| {
            let mut name = None;
            let _ = a.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let value: syn::LitStr = meta.value()?.parse()?;
                    name = Some(value.value());
                } else if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                }
                Ok(())
            });
            name
        })
}

/// The parameter descriptions progenitor lists under `Arguments:`, by setter name.
fn arguments(docs: &str) -> Vec<(String, String)> {
    let Some((_, list)) = docs.split_once("Arguments:\n") else {
        return Vec::new();
    };
    list.lines()
        .map_while(|line| line.strip_prefix("- `"))
        .filter_map(|line| {
            let (name, doc) = line.split_once("`:")?;
            Some((name.to_owned(), doc.trim().to_owned()))
        })
        .collect()
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
    use crate::operations::{Idempotency, ParamFacts};

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
            params: vec![
                ParamFacts {
                    name: "id".into(),
                    location: "path".into(),
                    kind: "string".into(),
                    required: true,
                },
                ParamFacts {
                    name: "after".into(),
                    location: "query".into(),
                    kind: "string".into(),
                    required: false,
                },
            ],
            minimal_body: None,
            paging: None,
        }
    }

    fn client() -> syn::File {
        syn::parse_str(
            r#"
            pub mod types {
                pub struct Thing { pub id: String }
                pub struct Page {
                    #[serde(rename = "nextPage")]
                    pub next_page: ::std::option::Option<::std::string::String>,
                    pub values: ::std::vec::Vec<Thing>,
                }
                pub struct NewThing {
                    ///Free text.
                    pub description: Option<String>,
                    pub idempotent: bool,
                    pub inner: Inner,
                    pub name: String,
                }
                pub struct Inner { pub n: i32 }
                pub mod builder {
                    pub struct Page {}
                    impl Page {
                        pub fn set_next_page(mut self, value: ::std::option::Option<::std::string::String>) -> Self { self }
                        pub fn set_values(mut self, value: ::std::option::Option<::std::vec::Vec<super::Thing>>) -> Self { self }
                    }
                    pub struct NewThing {}
                    impl ::std::default::Default for NewThing {
                        fn default() -> Self { Self { description: Ok(Default::default()), idempotent: Ok(Default::default()), inner: Err("x".to_string()), name: Err("x".to_string()) } }
                    }
                    impl NewThing {
                        pub fn set_description(mut self, value: ::std::option::Option<::std::string::String>) -> Self { self }
                        pub fn set_idempotent(mut self, value: ::std::option::Option<bool>) -> Self { self }
                        pub fn set_inner(mut self, value: ::std::option::Option<super::Inner>) -> Self { self }
                        pub fn set_name(mut self, value: ::std::option::Option<::std::string::String>) -> Self { self }
                    }
                    pub struct Inner {}
                    impl ::std::default::Default for Inner {
                        fn default() -> Self { Self { n: Err("x".to_string()) } }
                    }
                    impl Inner {
                        pub fn set_n(mut self, value: ::std::option::Option<i32>) -> Self { self }
                    }
                }
            }
            impl Client {
                #[doc = "Get a thing\n\nSends a `GET` request\n\nArguments:\n- `after`: Where the page starts.\n- `id`: The thing.\n```ignore\nclient.get_thing().id(id).send()\n```"]
                pub fn get_thing(&self) -> builder::GetThing<'_> { builder::GetThing::new(self) }
            }
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub fn new(client: &'a super::Client) -> Self { Self { client: client, after: Ok(None), id: Err("x".to_string()), body: Ok(Default::default()) } }
                    pub fn after<V>(mut self, value: V) -> Self where V: std::convert::TryInto<::std::string::String> { self }
                    pub fn set_after(mut self, value: ::std::option::Option<::std::string::String>) -> Self { self }
                    pub fn id<V>(mut self, value: V) -> Self where V: std::convert::TryInto<::std::string::String> { self }
                    pub fn set_id(mut self, value: ::std::option::Option<::std::string::String>) -> Self { self }
                    pub fn body<V>(mut self, value: V) -> Self where V: std::convert::TryInto<types::NewThing>, <V as std::convert::TryInto<types::NewThing>>::Error: std::fmt::Display { self }
                    pub fn body_map<F>(mut self, f: F) -> Self where F: std::ops::FnOnce(types::builder::NewThing) -> types::builder::NewThing { self }
                    pub async fn send(self) -> Result<ResponseValue<types::Page>, Error<ByteStream>> { todo!() }
                    pub fn request(&self) -> Result<::reqwest::Request, Error> { todo!() }
                }
            }
            "#,
        )
        .unwrap()
    }

    fn layer_text(facts: &[OperationFacts]) -> String {
        let tokens = layer(&client(), facts).unwrap();
        prettyplease::unparse(&syn::parse2(tokens).unwrap())
    }

    #[test]
    fn each_operation_gets_a_method_a_builder_and_setters_taking_what_callers_have() {
        let text = layer_text(&[facts("get_thing")]);
        assert!(
            text.contains("pub type GetThing<'a> = Call<'a, raw::GetThing<'a>>;"),
            "{text}"
        );
        assert!(text.contains("type Output = types::Page;"), "{text}");
        assert!(text.contains("&OPERATIONS[0usize]"), "{text}");
        assert!(
            text.contains("pub fn id(self, value: impl Into<::std::string::String>) -> Self"),
            "{text}"
        );
        assert!(text.contains("self.map(|raw| raw.id(value))"), "{text}");
        assert!(
            text.contains("pub fn set_after(self, value: Option<::std::string::String>) -> Self"),
            "{text}"
        );
        assert!(
            text.contains("Where the page starts.\n\nSets the query parameter `after`;"),
            "the parameter's docs:\n{text}"
        );
        assert!(
            text.contains("pub fn get_thing(&self) -> GetThing<'_>"),
            "{text}"
        );
        assert!(!text.contains("```ignore"), "{text}");
    }

    #[test]
    fn body_properties_are_setters_of_the_call_built_into_the_body() {
        let text = layer_text(&[facts("get_thing")]);
        assert!(
            text.contains(
                "pub fn description(self, value: impl Into<::std::string::String>) -> Self"
            ),
            "{text}"
        );
        assert!(
            text.contains("self.map(|raw| raw.body_map(|body| body.description(value)))"),
            "{text}"
        );
        assert!(
            text.contains("Free text.\n\nSets the body's property `description`;"),
            "the property's docs:\n{text}"
        );
        assert!(
            text.contains(
                "pub fn set_description(self, value: Option<::std::string::String>) -> Self"
            ),
            "{text}"
        );
        // A record takes the record or its builder.
        assert!(
            text.contains("pub fn inner<V>(self, value: V) -> Self"),
            "{text}"
        );
        assert!(text.contains("V: TryInto<types::Inner>,"), "{text}");
        // A property named like a method of every call is set as `body_<name>`.
        assert!(
            text.contains("pub fn body_idempotent(self, value: impl Into<bool>) -> Self"),
            "{text}"
        );
        assert!(text.contains("body.idempotent(value)"), "{text}");
        assert!(
            text.contains("pub fn body<V>(self, value: V) -> Self"),
            "{text}"
        );
    }

    #[test]
    fn the_example_sets_every_required_value() {
        let text = layer_text(&[facts("get_thing")]);
        assert!(
            text.contains("identity.get_thing()\n    .id(\"…\")\n    .inner(types::Inner::builder()\n        .n(0))\n    .name(\"…\")\n    .send()"),
            "example sets the required values only:\n{text}"
        );
        assert!(
            text.contains("```no_run\nuse finbourne_identity::client::types;"),
            "{text}"
        );
    }

    #[test]
    fn paging_operations_say_how_a_token_goes_and_comes_back() {
        let mut paged = facts("get_thing");
        paged.paging = Some(PagingFacts {
            token_param: "after".into(),
            next_field: "nextPage".into(),
            items_field: "values".into(),
        });
        let text = layer_text(&[paged]);
        assert!(
            text.contains("impl<'a> crate::paging::PagedOperation<'a> for raw::GetThing<'a>"),
            "{text}"
        );
        assert!(text.contains("type Item = types::Thing;"), "{text}");
        assert!(text.contains("self.after(token)"), "{text}");
        assert!(text.contains("page.next_page.as_deref()"), "{text}");
        assert!(text.contains("page.values"), "{text}");
        assert!(
            text.contains(".items();\nwhile let Some(item) = items.try_next().await? {"),
            "{text}"
        );
    }

    #[test]
    fn call_by_name_sets_each_parameter_through_its_setter() {
        let text = layer_text(&[facts("get_thing")]);
        assert!(
            text.contains("\"id\" => call.id(value.to_owned()),"),
            "{text}"
        );
        assert!(
            text.contains("\"after\" => call.after(value.to_owned()),"),
            "{text}"
        );
        assert!(text.contains("call = call.body(body);"), "{text}");
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

    #[test]
    fn every_example_that_runs_is_in_the_sdk_layer_once() {
        let mut ops: Vec<_> = RUNS.iter().map(|r| r.op).collect();
        ops.sort_unstable();
        ops.dedup();
        assert_eq!(ops.len(), RUNS.len(), "an operation named twice");
        let layer =
            std::fs::read_to_string(crate::generate::workspace_root().join(SDK_FILE)).unwrap();
        assert_eq!(
            layer.matches("Emulator::start()").count(),
            RUNS.len(),
            "each operation of RUNS names one with an example"
        );
    }
}
