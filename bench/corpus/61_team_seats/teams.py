"""Team workspaces: plans, seat limits and members."""

PLAN_SEATS = {"free": 3, "team": 10, "business": 50}


class SeatLimitError(Exception):
    """Raised when a change needs more seats than the plan has."""


class Team:
    def __init__(self, name, plan="free"):
        if plan not in PLAN_SEATS:
            raise ValueError(f"unknown plan: {plan}")
        self.name = name
        self.plan = plan
        self.members = []

    @property
    def seats(self):
        return PLAN_SEATS[self.plan]

    def _is_full(self):
        return len(self.members) >= self.seats

    def add_member(self, email):
        """Add a member by e-mail; returns False if they were already in."""
        email = email.strip().lower()
        if email in self.members:
            return False
        if not self._is_full():
            raise SeatLimitError(f"{self.name} has no free seat on the {self.plan} plan")
        self.members.append(email)
        return True

    def can_invite(self):
        """Invitation links are only offered while a seat is free."""
        return not self._is_full()

    def change_plan(self, plan):
        """Switch plans; a plan with fewer seats than members is refused."""
        if plan not in PLAN_SEATS:
            raise ValueError(f"unknown plan: {plan}")
        if PLAN_SEATS[plan] < len(self.members):
            raise SeatLimitError(f"{plan} has only {PLAN_SEATS[plan]} seats")
        self.plan = plan
