//! The codec of verdict's services: prost's, except that a message that does
//! not decode (a bad varint, a truncated field, a string that is not UTF-8) is
//! INVALID_ARGUMENT with an `ErrorInfo` — the sender's fault, which retry
//! policies must not retry and which must not page anyone as INTERNAL would.
//! prost's error names the message and field, never their content.

use std::collections::HashMap;
use std::marker::PhantomData;

use prost::Message;
use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstCodec;
use tonic_types::{ErrorDetails, StatusExt};

/// `ErrorInfo.reason` of a message that does not decode.
pub const INVALID_PROTOBUF: &str = "INVALID_PROTOBUF";

/// [`ProstCodec`] with decode errors as INVALID_ARGUMENT.
#[derive(Debug, Clone, Copy)]
pub struct VerdictCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for VerdictCodec<T, U> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<T, U> Codec for VerdictCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = <ProstCodec<T, U> as Codec>::Encoder;
    type Decoder = InvalidArgumentDecoder<<ProstCodec<T, U> as Codec>::Decoder>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::default().encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        InvalidArgumentDecoder(ProstCodec::<T, U>::default().decoder())
    }
}

/// Wraps a decoder, turning its errors into INVALID_ARGUMENT.
#[derive(Debug, Clone)]
pub struct InvalidArgumentDecoder<D>(D);

impl<D: Decoder<Error = Status>> Decoder for InvalidArgumentDecoder<D> {
    type Item = D::Item;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Status> {
        self.0.decode(buf).map_err(|error| {
            let mut details = ErrorDetails::new();
            details.set_error_info(INVALID_PROTOBUF, "verdict.v1", HashMap::new());
            Status::with_error_details(
                tonic::Code::InvalidArgument,
                format!("not a valid protobuf message: {}", error.message()),
                details,
            )
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}
