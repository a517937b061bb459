//! Query parameters written as struct fields: the builders' query values, under names fixed
//! when the code is generated.
//!
//! progenitor's `QueryParam` writes each value as a `(name, value)` pair, and
//! serde_urlencoded copies a pair's name into a new `String` before writing it: one
//! allocation per parameter per call. A struct field's name is `&'static str`, written as it
//! is. The bytes on the wire are the same (the tests compare the two).
//!
//! The builders call [`QueryExt::query_param`], which leaves the request alone when the value
//! is absent: `query()`, like reqwest's, opens the URL's query for writing, and closes it
//! again, even when there is nothing to write.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, SerializeStruct};

use crate::request::Started;

/// `query_param` on the builders' [`Started`] request, which the generated builders call for
/// each query parameter.
pub(crate) trait QueryExt {
    /// Appends the parameter `name` with `value` to the query; a value that writes nothing
    /// (`None`, an empty list) leaves the request as it is.
    fn query_param<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Self;
}

impl QueryExt for Started<'_> {
    #[inline]
    fn query_param<T: ?Sized + Serialize>(mut self, name: &'static str, value: &T) -> Self {
        if !matches!(value.serialize(Probe), Err(Seen::Nothing)) {
            self.write_query(&QueryParam::new(name, value));
        }
        self
    }
}

/// A serializer that only looks: it stops at once with what it has seen.
struct Probe;

/// What [`Probe`] saw: a value that writes nothing, or anything else (also what it does not
/// look into: those are written as usual).
#[derive(Debug)]
enum Seen {
    Nothing,
    Something,
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Nothing => "a value that writes nothing",
            Self::Something => "a value",
        })
    }
}

impl std::error::Error for Seen {}

impl ser::Error for Seen {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Self::Something
    }
}

/// Calls `$then!` with serde's scalar serializer methods and their value types: the list both
/// serializers below implement, written once.
macro_rules! scalars {
    ($then:ident) => {
        $then!(
            serialize_bool: bool,
            serialize_i8: i8,
            serialize_i16: i16,
            serialize_i32: i32,
            serialize_i64: i64,
            serialize_u8: u8,
            serialize_u16: u16,
            serialize_u32: u32,
            serialize_u64: u64,
            serialize_f32: f32,
            serialize_f64: f64,
            serialize_char: char,
            serialize_str: &str,
        );
    };
}

macro_rules! something {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, _: $ty) -> Result<(), Seen> {
            Err(Seen::Something)
        })*
    };
}

impl ser::Serializer for Probe {
    type Ok = ();
    type Error = Seen;
    type SerializeSeq = ser::Impossible<(), Seen>;
    type SerializeTuple = ser::Impossible<(), Seen>;
    type SerializeTupleStruct = ser::Impossible<(), Seen>;
    type SerializeTupleVariant = ser::Impossible<(), Seen>;
    type SerializeMap = ser::Impossible<(), Seen>;
    type SerializeStruct = ser::Impossible<(), Seen>;
    type SerializeStructVariant = ser::Impossible<(), Seen>;

    scalars!(something);
    something!(serialize_bytes: &[u8], serialize_unit_struct: &'static str);

    fn serialize_none(self) -> Result<(), Seen> {
        Err(Seen::Nothing)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Seen> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Seen> {
        Err(Seen::Nothing)
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Seen> {
        Err(Seen::Something)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Seen> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, Seen> {
        Err(Seen::Something)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, Seen> {
        Err(if len == Some(0) {
            Seen::Nothing
        } else {
            Seen::Something
        })
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Seen> {
        Err(Seen::Something)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Seen> {
        Err(Seen::Something)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Seen> {
        Err(Seen::Something)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Seen> {
        Err(Seen::Something)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Seen> {
        Err(Seen::Something)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Seen> {
        Err(Seen::Something)
    }
}

/// The query parameter `name` with `value`: what a builder passes to `query()`. A
/// missing value writes nothing; a list writes the name once per element.
pub(crate) struct QueryParam<'a, T: ?Sized> {
    name: &'static str,
    value: &'a T,
}

impl<'a, T: ?Sized> QueryParam<'a, T> {
    pub(crate) fn new(name: &'static str, value: &'a T) -> Self {
        Self { name, value }
    }
}

impl<T: ?Sized + Serialize> Serialize for QueryParam<'_, T> {
    fn serialize<S: ser::Serializer>(&self, inner: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Named {
            inner,
            name: self.name,
        })
    }
}

/// Serializes one parameter's value into the query serializer `inner` as the field `name`.
struct Named<S> {
    inner: S,
    name: &'static str,
}

impl<S: ser::Serializer> Named<S> {
    fn field<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        let mut fields = self.inner.serialize_struct("", 1)?;
        fields.serialize_field(self.name, value)?;
        fields.end()
    }
}

macro_rules! scalar {
    ($($method:ident: $ty:ty),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<S::Ok, S::Error> {
            self.field(&v)
        })*
    };
}

impl<S: ser::Serializer> ser::Serializer for Named<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Repeated<S::SerializeStruct>;
    type SerializeTuple = Repeated<S::SerializeStruct>;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = S::SerializeMap;
    type SerializeStruct = S::SerializeStruct;
    type SerializeStructVariant = S::SerializeStructVariant;

    scalars!(scalar);

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        self.inner.serialize_bytes(v)
    }

    fn serialize_none(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_none()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit()
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<S::Ok, S::Error> {
        self.inner.serialize_unit_struct(name)
    }

    /// An enumerated value: its name on the wire.
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<S::Ok, S::Error> {
        self.field(variant)
    }

    /// A wrapped value (a constrained string, say): the value it wraps. progenitor's
    /// `QueryParam` hands it to serde_urlencoded, which refuses it.
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    /// As serde_json writes it: an object with one field.
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        let mut fields = self.inner.serialize_struct(name, 1)?;
        fields.serialize_field(variant, value)?;
        fields.end()
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Ok(Repeated {
            fields: self.inner.serialize_struct("", len.unwrap_or(0))?,
            name: self.name,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.inner.serialize_tuple_struct(name, len)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.inner
            .serialize_tuple_variant(name, index, variant, len)
    }

    /// An object: its fields, each a parameter of its own (OpenAPI's `explode` form).
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.inner.serialize_map(len)
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        self.inner.serialize_struct(name, len)
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.inner
            .serialize_struct_variant(name, index, variant, len)
    }
}

/// A list's elements, each written under the parameter's name.
struct Repeated<F> {
    fields: F,
    name: &'static str,
}

/// Each element a field under the parameter's name, for lists and tuples alike.
macro_rules! repeated {
    ($($kind:ident),*) => {
        $(impl<F: SerializeStruct> ser::$kind for Repeated<F> {
            type Ok = F::Ok;
            type Error = F::Error;

            fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), F::Error> {
                self.fields.serialize_field(self.name, value)
            }

            fn end(self) -> Result<F::Ok, F::Error> {
                self.fields.end()
            }
        })*
    };
}

repeated!(SerializeSeq, SerializeTuple);

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{DateTime, Utc};
    use serde::Serialize;

    use super::QueryParam;

    #[derive(Serialize)]
    enum Order {
        #[serde(rename = "asc")]
        Ascending,
    }

    /// The query reqwest writes for `value` under `name`, through this type and through
    /// progenitor's.
    fn both<T: Serialize>(name: &'static str, value: &T) -> (String, String) {
        let query = |write: &dyn Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder| {
            let builder = reqwest::Client::new().get("http://127.0.0.1/api/users?first=1");
            match write(builder).build() {
                Ok(request) => request.url().query().unwrap_or_default().to_owned(),
                Err(e) => format!("{e:?}"),
            }
        };
        (
            query(&|b| b.query(&QueryParam::new(name, value))),
            query(&|b| b.query(&progenitor_client::QueryParam::new(name, value))),
        )
    }

    /// `query_param` gives the request `query` gives, and leaves it untouched when the value
    /// writes nothing.
    #[test]
    fn query_param_is_query_and_skips_what_writes_nothing() {
        use super::QueryExt;
        fn both<T: Serialize>(url: &str, value: &T) -> (String, String) {
            let client = reqwest::Client::new();
            let url: reqwest::Url = url.parse().unwrap();
            let ours = crate::request::start(&client, reqwest::Method::GET, url.clone())
                .query_param("id", value)
                .build();
            let theirs = client.get(url).query(&QueryParam::new("id", value)).build();
            (
                ours.expect("request").url().to_string(),
                theirs.expect("request").url().to_string(),
            )
        }
        for url in [
            "http://127.0.0.1/api/users",
            "http://127.0.0.1/api/users?first=1",
        ] {
            for (ours, theirs) in [
                both(url, &None::<String>),
                both(url, &Some(None::<String>)),
                both(url, &Vec::<String>::new()),
                both(url, &()),
                both(url, &Some("x y")),
                both(url, &vec!["a", "b"]),
                both(url, &Some(Order::Ascending)),
            ] {
                assert_eq!(ours, theirs);
            }
            assert_eq!(both(url, &None::<String>).0, url, "untouched");
        }
    }

    #[test]
    fn every_kind_of_value_writes_what_progenitor_writes() {
        let at: DateTime<Utc> = "2026-11-27T19:00:00.123456Z".parse().unwrap();
        let cases = [
            both("apiTokenAction", &Some("ensure".to_owned())),
            both("apiTokenAction", &None::<String>),
            both("oktaQuery", &Some("a b&c=d/é+%")),
            both("includeRoles", &Some(true)),
            both("oktaLimit", &Some(-20i32)),
            both("limit", &7u64),
            both("ratio", &1.5f64),
            both("start", &Some(at)),
            both("id", &vec!["a&b".to_owned(), "c d".to_owned()]),
            both("id", &Vec::<String>::new()),
            both("id", &Some(vec![Some("x"), None, Some("y")])),
            both("oktaSortOrder", &Some(Order::Ascending)),
            both("filter", &BTreeMap::from([("a", "1"), ("b", "2 3")])),
        ];
        for (ours, theirs) in cases {
            assert_eq!(ours, theirs);
        }
        #[derive(Serialize)]
        struct Wrapped(String);
        assert_eq!(both("id", &Some(Wrapped("a b".into()))).0, "first=1&id=a+b");
        assert_eq!(
            both("oktaQuery", &Some("a b&c=d/é+%")).0,
            "first=1&oktaQuery=a+b%26c%3Dd%2F%C3%A9%2B%25"
        );
    }
}
