//! One block at a time: what a pcapng block or a classic pcap record says
//! (`State`'s steps: a section, an interface described, a packet, its
//! statistics), within the bounds the module above sets. It never reads the
//! input itself and never decodes a netlink message.

use super::*;

/// One more interface in use than [`MAX_NAMESPACES`].
#[derive(Debug)]
pub(super) struct TooMany;

/// What is wrong with a whole block.
pub(super) enum Bad {
    Malformed(String),
    TooMany(TooMany),
}

impl From<String> for Bad {
    fn from(reason: String) -> Bad {
        Bad::Malformed(reason)
    }
}

impl From<TooMany> for Bad {
    fn from(e: TooMany) -> Bad {
        Bad::TooMany(e)
    }
}

impl State {
    /// A Section Header Block: the interfaces of the section before are
    /// forgotten (nothing after it can name them). The first one's comment is
    /// kept (`comment`).
    pub(super) fn section(
        &mut self,
        body: &[u8],
        comment: Option<&mut Option<String>>,
    ) -> Result<(), Bad> {
        if body.len() < 16 {
            return Err(format!("a section header of {} bytes", body.len()).into());
        }
        let mut said = None;
        each_option(&body[16..], |code, value| {
            if code == 1 {
                said = Some(text(code, value)?);
            }
            Ok(())
        })?;
        if let Some(comment) = comment {
            *comment = said.map(str::to_string);
        }
        let described = u32::try_from(self.interfaces.len()).unwrap_or(u32::MAX);
        self.base = self.base.saturating_add(described);
        self.interfaces.clear();
        Ok(())
    }

    /// An Interface Description Block: kept as a compact record until a
    /// packet or statistics block uses it.
    pub(super) fn describe(&mut self, body: &[u8]) -> Result<(), Bad> {
        let (Some(linktype), Some(_)) = (u16_at(body, 0), u32_at(body, 4)) else {
            return Err(format!("an interface description of {} bytes", body.len()).into());
        };
        let framing = Framing::of(u32::from(linktype));
        let (mut name, mut description, mut resolution) = (None, None, 6u8);
        each_option(&body[8..], |code, value| {
            match code {
                2 => name = Some(text(code, value)?),
                3 => description = Some(text(code, value)?),
                9 => match value {
                    [r] => resolution = *r,
                    _ => {
                        return Err(format!(
                            "option {code} of {} bytes, where its kind has 1",
                            value.len()
                        ))
                    }
                },
                _ => {}
            }
            Ok(())
        })?;
        let mut interface = Interface::foreign(framing, resolution);
        let ours = (framing != Framing::None)
            .then(|| description.and_then(parse_description))
            .flatten();
        if let Some((id, portid, kinds)) = ours {
            let name = name.unwrap_or_default();
            if name.len() > MAX_NAME {
                return Err(format!(
                    "a namespace name of {} bytes, more than the {MAX_NAME} a replay reads",
                    name.len()
                )
                .into());
            }
            interface.ours = true;
            interface.namespace = Some(Box::new(Source::Namespace {
                tag: NetnsTag {
                    name: Arc::from(name),
                    id,
                },
                portid,
                kinds,
            }));
        }
        self.interfaces.push(interface);
        Ok(())
    }

    /// An Enhanced Packet Block: a frame of the interface it names.
    pub(super) fn enhanced_packet(&mut self, body: &[u8]) -> Result<(), Bad> {
        let field = |i: usize| u32_at(body, 4 * i);
        let (Some(local), Some(raw), Some(captured), Some(original)) =
            (field(0), u64_at(body, 4), field(3), field(4))
        else {
            return Err(format!("an enhanced packet block of {} bytes", body.len()).into());
        };
        let captured = captured as usize;
        let end = 20usize.saturating_add(captured.next_multiple_of(4));
        if end > body.len() {
            return Err(format!("a frame of {captured} bytes that runs past its block").into());
        }
        each_option(&body[end..], |_, _| Ok(()))?;
        let Some(interface) = self.interfaces.get(local as usize) else {
            return Err(format!("a packet of interface {local}, which is not described").into());
        };
        let time = interface.time(raw);
        let frame = &body[20..20 + captured];
        self.frame(local, time, frame, original as usize)?;
        Ok(())
    }

    /// A Simple Packet Block: no interface id or time; the section's first
    /// interface, at the time of the frame before.
    pub(super) fn simple_packet(&mut self, body: &[u8]) -> Result<(), Bad> {
        let Some(original) = u32_at(body, 0) else {
            return Err(format!("a simple packet block of {} bytes", body.len()).into());
        };
        if self.interfaces.is_empty() {
            return Err(String::from("a packet of interface 0, which is not described").into());
        }
        let data = &body[4..];
        let frame = &data[..data.len().min(original as usize)];
        let time = self.last_foreign.1;
        self.frame(0, time, frame, original as usize)?;
        Ok(())
    }

    /// Interface `local` of this section is used: handed on the first time.
    pub(super) fn use_interface(&mut self, local: u32) -> Result<(), TooMany> {
        let id = self.base.saturating_add(local);
        let Some(interface) = self.interfaces.get_mut(local as usize) else {
            return Ok(());
        };
        if interface.used != Use::No {
            return Ok(());
        }
        if self.in_use >= MAX_NAMESPACES {
            return Err(TooMany);
        }
        self.in_use += 1;
        interface.used = Use::Yes;
        let source = interface.namespace.take().map_or(Source::Foreign, |s| *s);
        self.pending.push_back(Pending::Interface { id, source });
        Ok(())
    }

    /// A frame of interface `local` received at `time`: a datagram, or skipped.
    pub(super) fn frame(
        &mut self,
        local: u32,
        time: SystemTime,
        frame: &[u8],
        original: usize,
    ) -> Result<(), TooMany> {
        let Some(interface) = self.interfaces.get(local as usize) else {
            return Ok(());
        };
        let (framing, ours) = (interface.framing, interface.ours);
        let Some(datagram) = framing.datagram(frame) else {
            self.skipped += 1;
            return Ok(());
        };
        if !ours {
            let (last, at) = &self.last_foreign;
            let close = time.duration_since(*at).is_ok_and(|d| d <= COPY_WITHIN);
            if close && last.as_slice() == datagram {
                self.skipped += 1;
                return Ok(());
            }
            self.last_foreign.0.clear();
            self.last_foreign.0.extend_from_slice(datagram);
            self.last_foreign.1 = time;
        }
        self.use_interface(local)?;
        self.frame.clear();
        self.frame.extend_from_slice(datagram);
        let original_len = original
            .saturating_sub(framing.header_len())
            .max(datagram.len());
        self.pending.push_back(Pending::Datagram {
            id: self.base.saturating_add(local),
            time,
            original_len,
        });
        Ok(())
    }

    /// An Interface Statistics Block: what nlwatch recorded of a namespace
    /// without a datagram (others' statistics say nothing to a replay).
    pub(super) fn statistics(&mut self, body: &[u8]) -> Result<(), Bad> {
        let (Some(local), Some(raw)) = (u32_at(body, 0), u64_at(body, 4)) else {
            return Err(format!("an interface statistics block of {} bytes", body.len()).into());
        };
        let (mut started, mut ended, mut drops, mut comment) = (false, false, None, "");
        each_option(&body[12..], |code, value| {
            match code {
                1 => comment = text(code, value)?,
                2 => started = eight(code, value).map(|_| true)?,
                3 => ended = eight(code, value).map(|_| true)?,
                7 => drops = Some(eight(code, value)?),
                _ => {}
            }
            Ok(())
        })?;
        let Some(interface) = self.interfaces.get_mut(local as usize).filter(|i| i.ours) else {
            return Ok(());
        };
        let id = self.base.saturating_add(local);
        let time = interface.time(raw);
        // One overrun per block, as one `ENOBUFS` is one live (nlwatch
        // writes a block per overrun, `isb_osdrop` one more each time): a
        // count that jumps is still one loss to repair.
        let overrun = drops.is_some_and(|n| n > interface.drops);
        interface.drops = interface.drops.max(drops.unwrap_or(0));
        let dump_ended = comment == crate::capture::record::DUMP_ENDED;
        if !(overrun || ended || started || dump_ended) {
            return Ok(());
        }
        self.use_interface(local)?;
        if overrun {
            self.pending.push_back(Pending::Overrun { id, time });
        }
        if ended {
            let reason = gone_reason(comment);
            self.pending.push_back(Pending::Gone { id, time, reason });
            if let Some(interface) = self.interfaces.get_mut(local as usize) {
                if interface.used == Use::Yes {
                    interface.used = Use::Gone;
                    self.in_use -= 1;
                }
            }
        } else if started {
            self.pending.push_back(Pending::Watched { id, time });
        } else if dump_ended {
            self.pending.push_back(Pending::DumpEnded { id, time });
        }
        Ok(())
    }
}

/// `netns_cookie=ID portid=PORT objects=KIND,...`, as `record` writes it; each
/// kind kept once, in order.
pub(super) fn parse_description(d: &str) -> Option<(u64, u32, Vec<ObjectKind>)> {
    let (mut id, mut portid, mut kinds) = (None, None, None);
    for token in d.split_whitespace() {
        match token.split_once('=')? {
            ("netns_cookie", v) => id = v.parse().ok(),
            ("portid", v) => portid = v.parse().ok(),
            ("objects", v) => {
                let mut list: Vec<ObjectKind> = Vec::new();
                for k in v.split(',').filter(|k| !k.is_empty()) {
                    let kind = k.parse().ok()?;
                    if !list.contains(&kind) {
                        list.push(kind);
                    }
                }
                kinds = Some(list);
            }
            _ => {}
        }
    }
    Some((id?, portid?, kinds?))
}

/// The reason in a departure's comment (`nlwatch: namespace gone: REASON`);
/// shutdown when it cannot be read.
pub(super) fn gone_reason(comment: &str) -> GoneReason {
    let reason = comment.rsplit(": ").next().unwrap_or("");
    match reason {
        "removed" => GoneReason::Removed,
        "vanished" => GoneReason::Vanished,
        other => match other
            .strip_prefix("socket error ")
            .and_then(|n| n.parse().ok())
        {
            Some(errno) => GoneReason::SocketError(errno),
            None => GoneReason::Shutdown,
        },
    }
}
