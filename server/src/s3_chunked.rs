//! The `aws-chunked` body encoding of S3 uploads (SigV4 streaming), decoded while counting (and
//! handing the data to the body's digests).

/// Decoder for `Content-Encoding: aws-chunked` bodies: `hex[;chunk-signature=..]\r\n`,
/// data, `\r\n`, ..., `0\r\n`, trailer lines, `\r\n`. Counts data bytes without copying them.
#[derive(Default)]
pub struct AwsChunked {
    state: ChunkState,
    line: Vec<u8>,
    pub decoded: u64,
    pub trailers: Vec<(String, String)>,
}

#[derive(Default, PartialEq)]
enum ChunkState {
    #[default]
    Header,
    Data(u64),
    DataEnd(u8),
    Trailer,
    Done,
}

const MAX_LINE: usize = 4096;

impl AwsChunked {
    pub fn feed(&mut self, mut buf: &[u8], on_data: &mut dyn FnMut(&[u8])) -> Result<(), String> {
        while !buf.is_empty() {
            match self.state {
                ChunkState::Data(left) => {
                    let n = left.min(buf.len() as u64);
                    on_data(&buf[..n as usize]);
                    self.decoded += n;
                    buf = &buf[n as usize..];
                    self.state = if n == left {
                        ChunkState::DataEnd(0)
                    } else {
                        ChunkState::Data(left - n)
                    };
                }
                ChunkState::DataEnd(seen) => {
                    let want = b"\r\n"[seen as usize];
                    if buf[0] != want {
                        return Err("chunk data not followed by CRLF".into());
                    }
                    buf = &buf[1..];
                    self.state = if seen == 1 {
                        ChunkState::Header
                    } else {
                        ChunkState::DataEnd(1)
                    };
                }
                ChunkState::Done => return Err("bytes after the final chunk".into()),
                ChunkState::Header | ChunkState::Trailer => {
                    let Some(nl) = buf.iter().position(|&c| c == b'\n') else {
                        self.push_line(buf)?;
                        return Ok(());
                    };
                    self.push_line(&buf[..=nl])?;
                    buf = &buf[nl + 1..];
                    let line = std::mem::take(&mut self.line);
                    self.line_done(&line)?;
                }
            }
        }
        Ok(())
    }

    fn push_line(&mut self, b: &[u8]) -> Result<(), String> {
        if self.line.len() + b.len() > MAX_LINE {
            return Err("aws-chunked header line too long".into());
        }
        self.line.extend_from_slice(b);
        Ok(())
    }

    fn line_done(&mut self, line: &[u8]) -> Result<(), String> {
        let text = std::str::from_utf8(line)
            .map_err(|_| "aws-chunked line is not UTF-8".to_string())?
            .trim_end_matches(['\r', '\n']);
        if self.state == ChunkState::Header {
            let hex = text.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(hex, 16)
                .map_err(|_| format!("bad aws-chunked size line {text:?}"))?;
            self.state = if size == 0 {
                ChunkState::Trailer
            } else {
                ChunkState::Data(size)
            };
        } else if text.is_empty() {
            self.state = ChunkState::Done;
        } else {
            let (k, v) = text
                .split_once(':')
                .ok_or_else(|| format!("bad trailer line {text:?}"))?;
            self.trailers
                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        Ok(())
    }

    /// Some senders end the body right after the last trailer line, without the blank line.
    pub fn finish(&mut self) -> Result<(), String> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            if self.state != ChunkState::Trailer {
                return Err("aws-chunked body ends inside a chunk".into());
            }
            self.line_done(&line)?;
        }
        match self.state {
            ChunkState::Trailer | ChunkState::Done => Ok(()),
            _ => Err("aws-chunked body ends before its final chunk".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &[u8], step: usize) -> Result<AwsChunked, String> {
        let mut d = AwsChunked::default();
        let mut data = Vec::new();
        for c in body.chunks(step) {
            d.feed(c, &mut |bytes| data.extend_from_slice(bytes))?;
        }
        assert_eq!(data.len() as u64, d.decoded);
        d.finish()?;
        Ok(d)
    }

    #[test]
    fn aws_chunked_any_split() {
        let body = b"5\r\nhello\r\n3;chunk-signature=ab\r\nabc\r\n0\r\nx-amz-checksum-crc64nvme:AAAA\r\n\r\n";
        for step in 1..body.len() {
            let d = decode(body, step).unwrap();
            assert_eq!(d.decoded, 8);
            assert_eq!(
                d.trailers,
                [("x-amz-checksum-crc64nvme".to_string(), "AAAA".to_string())]
            );
        }
        assert_eq!(decode(b"0\r\n\r\n", 2).unwrap().decoded, 0);
        assert!(decode(b"5\r\nhel", 3).is_err());
        assert!(decode(b"3\r\nabcX\r\n0\r\n\r\n", 4).is_err());
        assert!(decode(b"zz\r\n", 4).is_err());
    }
}
