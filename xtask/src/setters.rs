//! The generated builders' setters take what callers have.
//!
//! Progenitor's record builders (`types::builder::X`) take an optional property as the whole
//! `Option<T>`, so `CreateRoleRequest::builder().description("Pays")` does not compile: the
//! caller must write `Some("Pays".to_owned())`. Here every setter of a record builder takes the
//! value itself (anything that converts to `T`, so `&str` for text) and a `set_x(Option<T>)`
//! sets or clears it, as aws-sdk-rust's builders do. Operation builders (`builder::X`) already
//! take the value itself; they get the same `set_x(Option<T>)` for every parameter.
//!
//! A required value that is never given stays an error naming it, raised before anything is
//! sent; the messages say so in words a caller can act on.

use quote::format_ident;
use syn::visit_mut::{self, VisitMut};

/// What [`builder_setters`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SetterRewrites {
    /// Record builder setters that now take the value of an optional property.
    pub optional_setters: usize,
    /// `set_x` methods added to record and operation builders.
    pub set_methods: usize,
}

/// Rewrites the setters of every record builder and adds `set_x` to every builder; fails
/// naming the builder when progenitor's output has a shape this does not know.
pub fn builder_setters(file: &mut syn::File) -> Result<SetterRewrites, String> {
    let mut done = SetterRewrites::default();
    for item in file.items.iter_mut() {
        let syn::Item::Mod(module) = item else {
            continue;
        };
        let Some((_, items)) = module.content.as_mut() else {
            continue;
        };
        if module.ident == "builder" {
            operation_builders(items, &mut done)?;
        } else if module.ident == "types" {
            for inner in items.iter_mut() {
                if let syn::Item::Mod(m) = inner
                    && m.ident == "builder"
                    && let Some((_, records)) = m.content.as_mut()
                {
                    record_builders(records, &mut done)?;
                }
            }
        }
    }
    Ok(done)
}

/// A builder's fields, `name: Result<T, String>`, as `(name, T)`.
fn fields(items: &[syn::Item], name: &syn::Ident) -> Option<Vec<(syn::Ident, syn::Type)>> {
    let record = items.iter().find_map(|i| match i {
        syn::Item::Struct(s) if s.ident == *name => Some(s),
        _ => None,
    })?;
    record
        .fields
        .iter()
        .map(|f| Some((f.ident.clone()?, result_ok(&f.ty)?)))
        .collect()
}

/// `T` of `Result<T, String>`; `None` for any other type.
fn result_ok(ty: &syn::Type) -> Option<syn::Type> {
    let segment = last_segment(ty)?;
    if segment.ident != "Result" {
        return None;
    }
    match first_generic(segment)? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

/// `T` of `Option<T>`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    let segment = last_segment(ty)?;
    if segment.ident != "Option" {
        return None;
    }
    match first_generic(segment)? {
        syn::GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

fn first_generic(segment: &syn::PathSegment) -> Option<&syn::GenericArgument> {
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(a) => a.args.first(),
        _ => None,
    }
}

fn compact(tokens: &impl quote::ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

/// The impl block of the builder named `name` that holds its setters (the one without a
/// trait).
fn setters_block<'i>(
    items: &'i mut [syn::Item],
    name: &syn::Ident,
) -> Option<&'i mut syn::ItemImpl> {
    items.iter_mut().find_map(|i| match i {
        syn::Item::Impl(block)
            if block.trait_.is_none()
                && last_segment(&block.self_ty).is_some_and(|s| s.ident == *name) =>
        {
            Some(block)
        }
        _ => None,
    })
}

fn has_fn(block: &syn::ItemImpl, name: &str) -> bool {
    block
        .items
        .iter()
        .any(|i| matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == name))
}

/// Record builders: a setter per field taking the value (not the `Option`), and `set_x`.
fn record_builders(items: &mut [syn::Item], done: &mut SetterRewrites) -> Result<(), String> {
    let names: Vec<syn::Ident> = items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some(s.ident.clone()),
            _ => None,
        })
        .collect();
    for name in names {
        let fields = fields(items, &name).ok_or_else(|| {
            format!(
                "types::builder::{name}: a field is not `Result<T, String>`; progenitor changed"
            )
        })?;
        let block = setters_block(items, &name)
            .ok_or_else(|| format!("types::builder::{name} has no setters"))?;
        for (field, ty) in &fields {
            let position = block
                .items
                .iter()
                .position(|i| matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == *field))
                .ok_or_else(|| format!("types::builder::{name} has no setter `{field}`"))?;
            let takes = compact(&block.items[position]);
            if !takes.contains(&format!("TryInto<{}>", compact(ty))) {
                return Err(format!(
                    "types::builder::{name}::{field} does not take `TryInto<{}>`; progenitor changed",
                    compact(ty)
                ));
            }
            let set = format_ident!("set_{}", field);
            if has_fn(block, &set.to_string()) {
                return Err(format!(
                    "types::builder::{name} already has `{set}`: a property would be shadowed"
                ));
            }
            let (setter, setter_doc, set_fn): (syn::ImplItemFn, String, syn::ImplItemFn) =
                match option_inner(ty) {
                    Some(inner) => {
                        done.optional_setters += 1;
                        let doc = format!("Sets `{field}`; [`{set}`](Self::{set}) clears it.");
                        (
                            syn::parse_quote! {
                                pub fn #field<T>(mut self, value: T) -> Self
                                where
                                    T: ::std::convert::TryInto<#inner>,
                                    T::Error: ::std::fmt::Display,
                                {
                                    self.#field = value
                                        .try_into()
                                        .map(::std::option::Option::Some)
                                        .map_err(|e| {
                                            format!("error converting supplied value for {}: {e}", stringify!(#field))
                                        });
                                    self
                                }
                            },
                            doc,
                            {
                                let doc = format!("Sets `{field}` (`Some`) or clears it (`None`).");
                                syn::parse_quote! {
                                #[doc = #doc]
                                pub fn #set(mut self, value: ::std::option::Option<#inner>) -> Self {
                                    self.#field = Ok(value);
                                    self
                                }
                                }
                            },
                        )
                    }
                    None => {
                        let original = match &block.items[position] {
                            syn::ImplItem::Fn(f) => f.clone(),
                            _ => unreachable!("found as a fn"),
                        };
                        let doc = format!("Sets `{field}`; see also [`{set}`](Self::{set}).");
                        (original, doc, {
                            let doc = format!(
                                "Sets `{field}` (`Some`) or returns it to its default (`None`): unset, when the property is required."
                            );
                            syn::parse_quote! {
                            #[doc = #doc]
                            pub fn #set(mut self, value: ::std::option::Option<#ty>) -> Self {
                                self.#field = match value {
                                    ::std::option::Option::Some(value) => Ok(value),
                                    ::std::option::Option::None => Self::default().#field,
                                };
                                self
                            }
                            }
                        })
                    }
                };
            let mut setter = setter;
            setter.attrs.retain(|a| !a.path().is_ident("doc"));
            setter
                .attrs
                .insert(0, syn::parse_quote!(#[doc = #setter_doc]));
            block.items[position] = syn::ImplItem::Fn(setter);
            block.items.insert(position + 1, syn::ImplItem::Fn(set_fn));
            done.set_methods += 1;
        }
    }
    RequiredMessages {
        from: ("no value supplied for ", ""),
        to: "the required field `{}` was not set",
    }
    .visit_items(items);
    Ok(())
}

/// Operation builders: `set_x` for every parameter.
fn operation_builders(items: &mut [syn::Item], done: &mut SetterRewrites) -> Result<(), String> {
    let names: Vec<syn::Ident> = items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some(s.ident.clone()),
            _ => None,
        })
        .collect();
    for name in names {
        let record = items
            .iter()
            .find_map(|i| match i {
                syn::Item::Struct(s) if s.ident == name => Some(s),
                _ => None,
            })
            .expect("listed above");
        let mut params = Vec::new();
        for field in &record.fields {
            let Some(ident) = field.ident.clone() else {
                return Err(format!("builder::{name} has an unnamed field"));
            };
            if ident == "client" || ident == "body" {
                continue;
            }
            let ty = result_ok(&field.ty).ok_or_else(|| {
                format!("builder::{name}::{ident} is not `Result<T, String>`; progenitor changed")
            })?;
            params.push((ident, ty));
        }
        let block =
            setters_block(items, &name).ok_or_else(|| format!("builder::{name} has no setters"))?;
        for (param, ty) in params {
            if !has_fn(block, &param.to_string()) {
                return Err(format!("builder::{name} has no setter `{param}`"));
            }
            let set = format_ident!("set_{}", param);
            if has_fn(block, &set.to_string()) {
                return Err(format!(
                    "builder::{name} already has `{set}`: a parameter would be shadowed"
                ));
            }
            let set_fn: syn::ImplItemFn = match option_inner(&ty) {
                Some(inner) => {
                    let doc = format!("Sets `{param}` (`Some`) or clears it (`None`).");
                    syn::parse_quote! {
                    #[doc = #doc]
                    pub fn #set(mut self, value: ::std::option::Option<#inner>) -> Self {
                        self.#param = Ok(value);
                        self
                    }
                    }
                }
                None => {
                    let doc = format!(
                        "Sets `{param}` (`Some`) or unsets it (`None`): the call then fails naming it."
                    );
                    syn::parse_quote! {
                    #[doc = #doc]
                    pub fn #set(mut self, value: ::std::option::Option<#ty>) -> Self {
                        self.#param = match value {
                            ::std::option::Option::Some(value) => Ok(value),
                            ::std::option::Option::None => Self::new(self.client).#param,
                        };
                        self
                    }
                    }
                }
            };
            let position = block
                .items
                .iter()
                .position(|i| matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == param))
                .expect("checked above");
            block.items.insert(position + 1, syn::ImplItem::Fn(set_fn));
            done.set_methods += 1;
        }
    }
    RequiredMessages {
        from: ("", " was not initialized"),
        to: "the required parameter `{}` was not set",
    }
    .visit_items(items);
    Ok(())
}

/// Rewrites progenitor's messages for a required value never given.
struct RequiredMessages {
    /// Prefix and suffix around the name.
    from: (&'static str, &'static str),
    /// `{}` stands for the name.
    to: &'static str,
}

impl RequiredMessages {
    fn visit_items(&mut self, items: &mut [syn::Item]) {
        for item in items {
            self.visit_item_mut(item);
        }
    }
}

impl VisitMut for RequiredMessages {
    fn visit_lit_str_mut(&mut self, lit: &mut syn::LitStr) {
        let value = lit.value();
        if let Some(name) = value
            .strip_prefix(self.from.0)
            .and_then(|rest| rest.strip_suffix(self.from.1))
            .filter(|name| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        {
            *lit = syn::LitStr::new(&self.to.replace("{}", name), lit.span());
        }
        visit_mut::visit_lit_str_mut(self, lit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> syn::File {
        syn::parse_str(
            r#"
            pub mod types {
                pub struct NewRole { pub description: Option<String>, pub name: String }
                pub mod builder {
                    #[derive(Clone, Debug)]
                    pub struct NewRole {
                        description: ::std::result::Result<::std::option::Option<::std::string::String>, ::std::string::String>,
                        name: ::std::result::Result<::std::string::String, ::std::string::String>,
                    }
                    impl ::std::default::Default for NewRole {
                        fn default() -> Self {
                            Self {
                                description: Ok(Default::default()),
                                name: Err("no value supplied for name".to_string()),
                            }
                        }
                    }
                    impl NewRole {
                        pub fn description<T>(mut self, value: T) -> Self
                        where
                            T: ::std::convert::TryInto<::std::option::Option<::std::string::String>>,
                            T::Error: ::std::fmt::Display,
                        {
                            self.description = value.try_into().map_err(|e| format!("error converting supplied value for description: {e}"));
                            self
                        }
                        pub fn name<T>(mut self, value: T) -> Self
                        where
                            T: ::std::convert::TryInto<::std::string::String>,
                            T::Error: ::std::fmt::Display,
                        {
                            self.name = value.try_into().map_err(|e| format!("error converting supplied value for name: {e}"));
                            self
                        }
                    }
                }
            }
            pub mod builder {
                pub struct GetRole<'a> {
                    client: &'a super::Client,
                    id: Result<::std::string::String, String>,
                    expand: Result<Option<bool>, String>,
                }
                impl<'a> GetRole<'a> {
                    pub fn new(client: &'a super::Client) -> Self {
                        Self { client: client, id: Err("id was not initialized".to_string()), expand: Ok(None) }
                    }
                    pub fn id<V>(mut self, value: V) -> Self where V: std::convert::TryInto<::std::string::String> { self }
                    pub fn expand<V>(mut self, value: V) -> Self where V: std::convert::TryInto<bool> { self }
                }
            }
            "#,
        )
        .unwrap()
    }

    #[test]
    fn optional_properties_take_the_value_and_every_value_gets_set_x() {
        let mut file = client();
        let done = builder_setters(&mut file).unwrap();
        assert_eq!(
            done,
            SetterRewrites {
                optional_setters: 1,
                set_methods: 4
            }
        );
        let text = prettyplease::unparse(&file);
        let flat = text.replace([' ', '\n'], "");
        assert!(
            flat.contains("pubfndescription<T>(mutself,value:T)->SelfwhereT:::std::convert::TryInto<::std::string::String>"),
            "{text}"
        );
        assert!(
            flat.contains(
                "pubfnset_description(mutself,value:::std::option::Option<::std::string::String>"
            ),
            "{text}"
        );
        assert!(
            flat.contains(
                "pubfnset_name(mutself,value:::std::option::Option<::std::string::String>"
            ),
            "{text}"
        );
        assert!(flat.contains("None=>Self::default().name"), "{text}");
        assert!(
            flat.contains("pubfnset_id(mutself,value:::std::option::Option<::std::string::String>"),
            "{text}"
        );
        assert!(flat.contains("None=>Self::new(self.client).id"), "{text}");
        assert!(
            flat.contains("pubfnset_expand(mutself,value:::std::option::Option<bool>"),
            "{text}"
        );
        assert!(
            text.contains("the required field `name` was not set"),
            "{text}"
        );
        assert!(
            text.contains("the required parameter `id` was not set"),
            "{text}"
        );
        assert!(
            text.contains("///Sets `expand` (`Some`) or clears it (`None`)."),
            "{text}"
        );
    }

    #[test]
    fn an_unknown_shape_is_an_error_naming_the_builder() {
        let text = prettyplease::unparse(&client()).replace(
            "T: ::std::convert::TryInto<::std::string::String>,",
            "T: ::std::convert::Into<::std::string::String>,",
        );
        let mut file = syn::parse_str(&text).unwrap();
        let error = builder_setters(&mut file).unwrap_err();
        assert!(
            error.starts_with("types::builder::NewRole::name"),
            "{error}"
        );
    }
}
