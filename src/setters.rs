//! The builder methods of the option structs ([`ConnectOptions`](crate::ConnectOptions) and
//! the server's `Settings`): one convention, written once.

/// Defines one `pub fn field(mut self, value) -> Self` per listed field, inside an `impl`
/// block. `field: Some(T)` takes a `T` and turns an optional field on (`Some(value)`);
/// `field: T` sets the field to the value as given (so an `Option` field that is on by
/// default takes an `Option`, and `None` turns it off).
macro_rules! setters {
    () => {};
    ($(#[$doc:meta])* $field:ident: Some($ty:ty), $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = Some(value);
            self
        }
        $crate::setters::setters!($($rest)*);
    };
    ($(#[$doc:meta])* $field:ident: $ty:ty, $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $field(mut self, value: $ty) -> Self {
            self.$field = value;
            self
        }
        $crate::setters::setters!($($rest)*);
    };
}

pub(crate) use setters;
