//! A lean WebSocket client for the scenarios where the load generator, not the server, would
//! otherwise be the bottleneck (P4 reads up to 1.5M frames/s on the same two cores as the server).
//!
//! It speaks just enough RFC 6455 for a Mynah connection: the upgrade handshake, masked text
//! frames out, and unmasked unfragmented frames in, parsed in place from one reusable buffer. A
//! delivery costs a header parse and no allocation; the full tungstenite stack costs a frame
//! object, a shared buffer split and UTF-8 validation per frame, and waker bookkeeping per poll.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};

use crate::wire::{self, Frame};

/// Bytes read per `read` call. Coalesced pushes arrive in bursts of a few KiB; the buffer is
/// allocated (and zeroed) once per connection, never per read.
const READ_BUFFER_BYTES: usize = 32 * 1024;

/// The largest frame accepted: responses to the setup requests are small, pushes smaller.
const MAX_FRAME_BYTES: usize = 1 << 20;

const OPCODE_TEXT: u8 = 0x1;
const OPCODE_BINARY: u8 = 0x2;
const OPCODE_CLOSE: u8 = 0x8;

/// The reading half: frames are parsed in place from `buffer[start..end]`.
pub struct RawReader {
    stream: OwnedReadHalf,
    buffer: Box<[u8]>,
    start: usize,
    end: usize,
    reads: u64,
}

/// What [`RawReader::drain`] found.
#[derive(Debug, Default)]
pub struct Drained {
    /// Data frames read, and their payload bytes.
    pub frames: u64,
    pub bytes: u64,
    /// The connection ended (close frame, end of stream or error), rather than went quiet.
    pub ended: bool,
    /// The close frame's code (0 if it had none) and reason.
    pub close: Option<(u16, String)>,
}

/// The writing half.
pub struct RawWriter {
    stream: OwnedWriteHalf,
    frame: Vec<u8>,
}

/// Connects from the `source_index`-th source address and completes the WebSocket handshake,
/// with the socket's receive buffer set to `recv_buffer` bytes before connecting if given (the
/// kernel doubles it and keeps a minimum): a client that stops reading then fills it fast.
pub async fn connect(
    address: SocketAddr,
    source_index: usize,
    recv_buffer: Option<u32>,
) -> anyhow::Result<(RawReader, RawWriter)> {
    let tcp = TcpSocket::new_v4()?;
    if let Some(bytes) = recv_buffer {
        tcp.set_recv_buffer_size(bytes).context("setting the receive buffer")?;
    }
    tcp.bind(SocketAddr::new(wire::source_address(source_index), 0)).context("binding a source address")?;
    let mut stream: TcpStream = tcp.connect(address).await.context("connecting")?;
    stream.set_nodelay(true)?;
    // The key is fixed: the server only echoes a hash of it, which this client does not check.
    let request = format!(
        "GET /ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut buffer = vec![0u8; READ_BUFFER_BYTES].into_boxed_slice();
    let mut end = 0;
    let header_end = loop {
        if let Some(position) = buffer[..end].windows(4).position(|window| window == b"\r\n\r\n") {
            break position + 4;
        }
        if end == buffer.len() {
            bail!("handshake response too long");
        }
        let read = stream.read(&mut buffer[end..]).await?;
        if read == 0 {
            bail!("connection ended during the handshake");
        }
        end += read;
    };
    let status = std::str::from_utf8(&buffer[..header_end]).unwrap_or("").lines().next().unwrap_or("").to_owned();
    if !status.contains(" 101 ") {
        bail!("handshake refused: {status}");
    }
    let (read_half, write_half) = stream.into_split();
    Ok((
        RawReader { stream: read_half, buffer, start: header_end, end, reads: 0 },
        RawWriter { stream: write_half, frame: Vec::with_capacity(512) },
    ))
}

impl RawReader {
    /// The next text frame's payload, skipping other data and control frames (the server sends
    /// no pings). `None` when the connection ends or closes.
    pub async fn next_text(&mut self) -> anyhow::Result<Option<&str>> {
        loop {
            match self.parse()? {
                Some((OPCODE_TEXT, start, end)) => {
                    return Ok(Some(std::str::from_utf8(&self.buffer[start..end]).context("text frame")?));
                }
                Some((OPCODE_CLOSE, ..)) => return Ok(None),
                Some(_) => continue,
                None => {
                    if !self.fill().await? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// The next text frame as raw bytes, without UTF-8 validation, for the hot path (whose
    /// readers only look for ASCII markers), with the number of reads from the socket so far:
    /// frames with the same number arrived together.
    pub async fn next_text_bytes(&mut self) -> anyhow::Result<Option<(&[u8], u64)>> {
        loop {
            match self.parse()? {
                Some((OPCODE_TEXT | OPCODE_BINARY, start, end)) => {
                    return Ok(Some((&self.buffer[start..end], self.reads)));
                }
                Some((OPCODE_CLOSE, ..)) => return Ok(None),
                Some(_) => continue,
                None => {
                    if !self.fill().await? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Reads whatever the server still sends until the connection ends or nothing arrives for
    /// `idle`: the frames and payload bytes, and the close frame's code and reason if one came.
    pub async fn drain(&mut self, idle: Duration) -> Drained {
        let mut drained = Drained::default();
        loop {
            match self.parse() {
                Ok(Some((OPCODE_CLOSE, start, end))) => {
                    let payload = &self.buffer[start..end];
                    let code = payload.get(..2).map(|code| u16::from_be_bytes([code[0], code[1]]));
                    let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or_default()).into_owned();
                    drained.close = Some((code.unwrap_or(0), reason));
                    drained.ended = true;
                    return drained;
                }
                Ok(Some((_, start, end))) => {
                    drained.frames += 1;
                    drained.bytes += (end - start) as u64;
                }
                Ok(None) => match tokio::time::timeout(idle, self.fill()).await {
                    Ok(Ok(true)) => {}
                    Ok(Ok(false) | Err(_)) => {
                        drained.ended = true;
                        return drained;
                    }
                    Err(_) => return drained,
                },
                Err(_) => {
                    drained.ended = true;
                    return drained;
                }
            }
        }
    }

    /// Parses one whole frame at `start`, if the buffer holds one: (opcode, payload range).
    fn parse(&mut self) -> anyhow::Result<Option<(u8, usize, usize)>> {
        let available = &self.buffer[self.start..self.end];
        if available.len() < 2 {
            return Ok(None);
        }
        let (first, second) = (available[0], available[1]);
        if first & 0x80 == 0 {
            bail!("fragmented frames are not expected from the server");
        }
        if second & 0x80 != 0 {
            bail!("the server masked a frame");
        }
        let (length, header) = match second & 0x7f {
            126 if available.len() >= 4 => (u16::from_be_bytes([available[2], available[3]]) as usize, 4),
            127 if available.len() >= 10 => {
                let mut bytes = [0u8; 8];
                bytes.copy_from_slice(&available[2..10]);
                (u64::from_be_bytes(bytes) as usize, 10)
            }
            126 | 127 => return Ok(None),
            short => (short as usize, 2),
        };
        if length > MAX_FRAME_BYTES {
            bail!("frame of {length} bytes");
        }
        if available.len() < header + length {
            return Ok(None);
        }
        let payload_start = self.start + header;
        self.start = payload_start + length;
        Ok(Some((first & 0x0f, payload_start, payload_start + length)))
    }

    /// Reads more bytes, first moving a partial frame to the front. False when the stream ended.
    async fn fill(&mut self) -> anyhow::Result<bool> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.start > 0 {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buffer.len() {
            // A frame larger than the buffer: only setup responses can be, and they fit in a
            // bigger buffer kept for the rest of the connection.
            let mut bigger = vec![0u8; (self.buffer.len() * 2).min(MAX_FRAME_BYTES + 16)].into_boxed_slice();
            bigger[..self.end].copy_from_slice(&self.buffer[..self.end]);
            self.buffer = bigger;
        }
        let read = self.stream.read(&mut self.buffer[self.end..]).await?;
        self.end += read;
        self.reads += 1;
        Ok(read > 0)
    }
}

impl RawWriter {
    /// Sends one text frame, masked as a client must (with a zero key: the load generator does not
    /// need to defend against cache poisoning, and XOR with zero leaves the payload as it is).
    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.frame.clear();
        self.frame.push(0x80 | OPCODE_TEXT);
        match text.len() {
            length @ 0..=125 => self.frame.push(0x80 | length as u8),
            length @ 126..=65535 => {
                self.frame.push(0x80 | 126);
                self.frame.extend_from_slice(&(length as u16).to_be_bytes());
            }
            length => {
                self.frame.push(0x80 | 127);
                self.frame.extend_from_slice(&(length as u64).to_be_bytes());
            }
        }
        self.frame.extend_from_slice(&[0, 0, 0, 0]);
        self.frame.extend_from_slice(text.as_bytes());
        self.stream.write_all(&self.frame).await?;
        Ok(())
    }
}

/// Sends one request and waits for its response, skipping other frames. Returns the response's
/// `data`, or an error with its code.
pub async fn call(reader: &mut RawReader, writer: &mut RawWriter, id: u64, frame: &str) -> anyhow::Result<Value> {
    writer.send_text(frame).await?;
    loop {
        let Some(text) = reader.next_text().await? else { bail!("connection ended") };
        if let Frame::Response { id: got, code } = wire::classify(text)
            && got == id
        {
            let mut value: Value = serde_json::from_str(text)?;
            if code != 0 {
                bail!("request {id} failed with code {code}: {}", value["message"]);
            }
            return Ok(value["data"].take());
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;
    use tokio_tungstenite::tungstenite::Message;

    use super::*;

    #[tokio::test]
    async fn talks_to_a_tungstenite_server() {
        use futures_util::{SinkExt, StreamExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(stream).await.unwrap();
            let Some(Ok(Message::Text(request))) = socket.next().await else { panic!("no request") };
            assert_eq!(request.as_str(), r#"{"id":1,"op":"heartbeat","data":{}}"#);
            socket.send(Message::text(r#"{"push":"message","data":{}}"#)).await.unwrap();
            socket.send(Message::text("x".repeat(70_000))).await.unwrap();
            socket.send(Message::text(r#"{"id":1,"code":0,"data":{"ok":true}}"#)).await.unwrap();
            socket.close(None).await.unwrap();
        });
        let (mut reader, mut writer) = connect(address, 0, None).await.unwrap();
        let data = call(&mut reader, &mut writer, 1, r#"{"id":1,"op":"heartbeat","data":{}}"#).await.unwrap();
        assert_eq!(data["ok"], true);
        assert!(reader.next_text().await.unwrap().is_none());
        server.await.unwrap();
    }
}
