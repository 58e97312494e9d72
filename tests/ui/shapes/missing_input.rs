// The sample shape comes first.
kiln::model! {
    struct Net { Dense(8), Dense(1) }
}

fn main() {}
