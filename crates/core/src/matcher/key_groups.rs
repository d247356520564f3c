//! Where a key sits on a QWERTY keyboard: which hand and finger type it in touch typing.
//!
//! The short any-text matcher backs off to these groups when a probe's key or key pair was
//! never typed during enrolment: a typist's timing of an unseen key is best guessed from the
//! keys typed by the same finger, and an unseen pair from pairs of the same finger
//! movement.

/// A finger of touch typing; thumbs type the space bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Finger {
    /// Left little finger: `1QAZ` and the backquote.
    LeftPinky,
    /// Left ring finger: `2WSX`.
    LeftRing,
    /// Left middle finger: `3EDC`.
    LeftMiddle,
    /// Left index finger: `45RTFGVB`.
    LeftIndex,
    /// Right index finger: `67YUHJNM`.
    RightIndex,
    /// Right middle finger: `8IK,`.
    RightMiddle,
    /// Right ring finger: `9OL.`.
    RightRing,
    /// Right little finger: `0P;/`, `-=[]'\`.
    RightPinky,
    /// A thumb: the space bar.
    Thumb,
    /// A key outside the map (function keys, numeric pad, mobile key codes).
    Unknown,
}

/// Number of [`Finger`] values.
pub const FINGERS: usize = 10;

impl Finger {
    /// Dense index, `0..FINGERS`.
    pub fn index(self) -> usize {
        self as usize
    }

    fn hand(self) -> Option<Hand> {
        match self {
            Finger::LeftPinky | Finger::LeftRing | Finger::LeftMiddle | Finger::LeftIndex => {
                Some(Hand::Left)
            }
            Finger::RightIndex | Finger::RightMiddle | Finger::RightRing | Finger::RightPinky => {
                Some(Hand::Right)
            }
            Finger::Thumb | Finger::Unknown => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hand {
    Left,
    Right,
}

/// The finger that types a key, by its keydown `keyCode`.
pub fn finger(key_code: u32) -> Finger {
    match key_code {
        // 1 Q A Z and the backquote
        49 | 81 | 65 | 90 | 192 => Finger::LeftPinky,
        50 | 87 | 83 | 88 => Finger::LeftRing,
        51 | 69 | 68 | 67 => Finger::LeftMiddle,
        52 | 53 | 82 | 84 | 70 | 71 | 86 | 66 => Finger::LeftIndex,
        54 | 55 | 89 | 85 | 72 | 74 | 78 | 77 => Finger::RightIndex,
        56 | 73 | 75 | 188 => Finger::RightMiddle,
        57 | 79 | 76 | 190 => Finger::RightRing,
        // 0 P ; / - = [ ] ' \
        48 | 80 | 186 | 191 | 189 | 187 | 219 | 221 | 222 | 220 => Finger::RightPinky,
        32 => Finger::Thumb,
        _ => Finger::Unknown,
    }
}

/// How the fingers move from one key to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// The same finger types both keys (a repeated key or a stretch).
    SameFinger,
    /// Two fingers of the same hand.
    SameHand,
    /// Left to right hand or back.
    OtherHand,
    /// Into the space bar (the end of a word).
    ToSpace,
    /// Out of the space bar (the start of a word).
    FromSpace,
    /// Either key is outside the map.
    Unknown,
}

/// Number of [`Transition`] values.
pub const TRANSITIONS: usize = 6;

impl Transition {
    /// Dense index, `0..TRANSITIONS`.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The finger movement from `from` to `to`.
pub fn transition(from: Finger, to: Finger) -> Transition {
    if from == Finger::Unknown || to == Finger::Unknown {
        return Transition::Unknown;
    }
    if to == Finger::Thumb {
        return Transition::ToSpace;
    }
    if from == Finger::Thumb {
        return Transition::FromSpace;
    }
    if from == to {
        Transition::SameFinger
    } else if from.hand() == to.hand() {
        Transition::SameHand
    } else {
        Transition::OtherHand
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_row_keys_have_their_fingers_and_moves() {
        let f = |c: char| finger(c as u32);
        assert_eq!(f('A'), Finger::LeftPinky);
        assert_eq!(f('J'), Finger::RightIndex);
        assert_eq!(f(' '), Finger::Thumb);
        assert_eq!(finger(112), Finger::Unknown); // F1
        assert_eq!(transition(f('E'), f('D')), Transition::SameFinger);
        assert_eq!(transition(f('T'), f('E')), Transition::SameHand);
        assert_eq!(transition(f('T'), f('H')), Transition::OtherHand);
        assert_eq!(transition(f('E'), f(' ')), Transition::ToSpace);
        assert_eq!(transition(f(' '), f('T')), Transition::FromSpace);
        assert_eq!(transition(Finger::Unknown, f('T')), Transition::Unknown);
    }
}
